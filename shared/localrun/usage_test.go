package localrun_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/localrun"
	"github.com/trailguard/trailguard/shared/rules"
)

// shapes holds every kind of field the functions' configuration structs use: embedded and
// nested structs, pointers, durations, lists, ignored fields, defaults and descriptions.
type shapes struct {
	alert.Config
	rules.Selection
	Nested struct {
		Depth int    `envconfig:"DEPTH" default:"3"`
		Name  string `default:"x" desc:"a name"`
	} `envconfig:"NESTED"`
	Ptr     *struct{ Inner bool }
	Wait    time.Duration `envconfig:"WAIT" default:"5m"`
	List    []string      `envconfig:"LIST"`
	Skipped string        `ignored:"true"`
	Plain   string
	Level   textLevel `envconfig:"LEVEL"`
}

// textLevel decodes itself from one variable, as envconfig lets a TextUnmarshaler do.
type textLevel struct{ v string }

func (l *textLevel) UnmarshalText(b []byte) error { l.v = string(b); return nil }

// TestVarsAgreeWithEnvconfig: the -h walk names the same variables, in the same order, with
// the same defaults and descriptions as envconfig's own Usagef (which the binaries no longer
// link: see specVars).
func TestVarsAgreeWithEnvconfig(t *testing.T) {
	typeNames := map[string]string{"Comma-separated list of String": "list", "Duration": "duration", "Integer": "int", "True or False": "bool"}
	for name, spec := range map[string]any{"shapes": &shapes{}, "alert.Config": &alert.Config{}, "rules.Selection": &rules.Selection{}} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			const format = "{{range .}}{{usage_key .}}\x1f{{usage_type .}}\x1f{{usage_default .}}\x1f{{usage_description .}}\x1e{{end}}"
			if err := envconfig.Usagef("", spec, &buf, format); err != nil {
				t.Fatal(err)
			}
			var want []localrun.EnvVar
			for _, rec := range strings.Split(buf.String(), "\x1e") {
				if f := strings.Split(rec, "\x1f"); len(f) == 4 {
					want = append(want, localrun.EnvVar{Name: f[0], Type: typeNames[f[1]], Default: f[2], Doc: f[3]})
				}
			}
			got := localrun.Env{Spec: spec}.Vars()
			got = got[:len(got)-len(localrun.Env{}.Vars())] // the variables every function reads come last
			for i := range got {
				got[i].Doc = strings.TrimSpace(got[i].Doc)
				if i < len(want) && want[i].Doc == "" {
					got[i].Doc = "" // Vars fills in CommonDoc; envconfig knows only desc tags
				}
			}
			if len(got) != len(want) {
				t.Fatalf("Vars lists %d variables, envconfig %d:\n got %v\nwant %v", len(got), len(want), got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("variable %d: got %+v, want %+v", i, got[i], want[i])
				}
			}
		})
	}
}
