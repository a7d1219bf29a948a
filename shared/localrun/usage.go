package localrun

import (
	"flag"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Env is the environment a function reads, for -h: the variables come from the function's
// envconfig struct (walked as envconfig walks it), so the list cannot drift from what the
// function reads.
type Env struct {
	// Spec is the function's envconfig struct (a pointer to one).
	Spec any
	// Local are the defaults of a local run, for variables left unset (config.Load's
	// localDefaults).
	Local map[string]string
	// Doc says what each of the function's own variables means; the variables every
	// function shares (alerting, rules, logging, AWS) are described here in CommonDoc. A
	// field's `desc` struct tag, when present, is used before either.
	Doc map[string]string
}

// EnvVar is one variable of a function's environment.
type EnvVar struct {
	Name, Type, Default, Local, Doc string
}

// CommonDoc describes the variables several functions read, in one place.
var CommonDoc = map[string]string{
	"ALERT_TOPIC_ARN":   "SNS topic alerts are published to; unset outside Lambda: alerts are printed (required under Lambda)",
	"ALERT_STATE_TABLE": "DynamoDB table of alert claims (no second SMS on redelivery) and suppression windows; unset outside Lambda: in memory (required under Lambda)",
	"SUPPRESS_WINDOW":   "repeats of the same finding within this window are counted, not sent again",
	"ALERT_DEDUPE_FOR":  "how long a sent alert's claim is kept against redelivery (at least 1h)",
	"ALERT_FLOOD_CAP":   "alerts per kind, account and principal within SUPPRESS_WINDOW before the rest fold into one digest",
	"RULES_DIR":         "folder of the team's own rule files (*.yaml), added to the built-in pack",
	"DISABLED_RULES":    "built-in rule IDs switched off, comma-separated",
	"TRUSTED_ACCOUNTS":  "the organization's account IDs and/or organization ID (o-…), comma-separated: what rules about sharing count as inside",
	"TRAIL_BUCKET":      "the bucket the trail writes to; objects of other buckets are skipped (empty: any)",
	"TRAIL_PREFIX":      "the trail's S3 key prefix before AWSLogs/ (empty: any)",
	"RETENTION_DAYS":    "days the function's records are kept (DynamoDB TTL)",
}

// runtimeVars are read by every function besides its envconfig struct.
var runtimeVars = []EnvVar{
	{Name: "LOG_LEVEL", Type: "DEBUG|INFO|WARN|ERROR", Default: "INFO", Doc: "log level; anything else stops the start. Locally, DEBUG also writes the JSON logs and metric lines on stderr, as -v does"},
	{Name: "AWS_LAMBDA_RUNTIME_API", Type: "host:port", Doc: "set by Lambda: serve as a Lambda function instead of replaying events"},
	{Name: "AWS_REGION, AWS_PROFILE, …", Doc: "the AWS SDK's standard configuration, read only when a table, topic or bucket is configured"},
	{Name: "AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>", Doc: "the AWS SDK's endpoint overrides: talk to local emulators instead of AWS"},
}

// Vars lists the variables of Spec in envconfig's order, then the ones every function reads.
func (e Env) Vars() []EnvVar {
	var vars []EnvVar
	if e.Spec != nil {
		specVars, err := specVars("", reflect.ValueOf(e.Spec))
		if err != nil {
			return []EnvVar{{Name: "(environment not listed: " + err.Error() + ")"}}
		}
		for _, v := range specVars {
			v.Local = e.Local[v.Name]
			if v.Doc == "" {
				v.Doc = e.Doc[v.Name]
			}
			if v.Doc == "" {
				v.Doc = CommonDoc[v.Name]
			}
			vars = append(vars, v)
		}
	}
	return append(vars, runtimeVars...)
}

// specVars walks an envconfig struct as envconfig.Process does (the envconfig tag, else the
// field name, upper-cased; nested structs prefixed by their key, embedded ones not; ignored
// fields left out), reading the default and desc tags. It stands in for envconfig.Usagef,
// whose text/template makes the linker keep every exported method of every type in the
// binary (logincheck's bootstrap: 17.7 MB with it, 12.4 MB without); TestVarsAgreeWithEnvconfig
// holds the two to the same answer.
func specVars(prefix string, v reflect.Value) ([]EnvVar, error) {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v = reflect.New(v.Type().Elem())
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil, fmt.Errorf("%s is not a struct", v.Type())
	}
	var out []EnvVar
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || strings.EqualFold(f.Tag.Get("ignored"), "true") {
			continue
		}
		key := f.Name
		if alt := f.Tag.Get("envconfig"); alt != "" {
			key = alt
		}
		if prefix != "" {
			key = prefix + "_" + key
		}
		key = strings.ToUpper(key)
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && !decodesItself(ft) {
			inner := prefix
			if !f.Anonymous {
				inner = key
			}
			nested, err := specVars(inner, reflect.New(ft))
			if err != nil {
				return nil, err
			}
			out = append(out, nested...)
			continue
		}
		out = append(out, EnvVar{Name: key, Type: typeName(ft), Default: f.Tag.Get("default"), Doc: f.Tag.Get("desc")})
	}
	return out, nil
}

// decodesItself reports whether envconfig fills a struct type from one variable (a Decoder,
// Setter, TextUnmarshaler or BinaryUnmarshaler) instead of walking its fields. Implements, not
// MethodByName: a method looked up by name would make the linker keep every exported method.
func decodesItself(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	for _, i := range selfDecoders {
		if p.Implements(i) {
			return true
		}
	}
	return false
}

var selfDecoders = []reflect.Type{
	reflect.TypeFor[interface{ Decode(string) error }](),
	reflect.TypeFor[interface{ Set(string) error }](),
	reflect.TypeFor[interface{ UnmarshalText([]byte) error }](),
	reflect.TypeFor[interface{ UnmarshalBinary([]byte) error }](),
}

// typeName is the short type shown in -h; a string is not named.
func typeName(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[time.Duration]():
		return "duration"
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		return "list"
	case t.Kind() == reflect.Bool:
		return "bool"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "int"
	}
	return ""
}

// Undocumented lists the variables of Spec that no Doc, CommonDoc or desc tag describes.
func (e Env) Undocumented() []string {
	var out []string
	for _, v := range e.Vars() {
		if v.Doc == "" {
			out = append(out, v.Name)
		}
	}
	return out
}

// Usage prints what the function does, its inputs, its flags and its environment.
func (a *App) Usage(w io.Writer) {
	fmt.Fprintf(w, "%s — %s\n\n", a.Name, a.Summary)
	fmt.Fprintf(w, "Usage:\n  %s [flags] [FILE…]        replay events through the handler, as Lambda delivers them\n\n", a.Name)
	fmt.Fprintf(w, `Inputs:
  Each FILE holds one event (pretty-printed or not), or many: JSON lines, or JSON values one
  after another. "-" or no FILE reads stdin (on a terminal, this help is printed instead).
  Each event prints one line on stdout (what the function did), followed by what it produced
  (alerts as the SMS and email would read, records). Errors a person must read go to stderr,
  named FILE:LINE. Exit 0: every event handled; 1: some event malformed or failed (the others
  were still handled); 2: invalid configuration or command line, nothing ran.
  Under Lambda (AWS_LAMBDA_RUNTIME_API set) the same binary serves Lambda invocations.
`)
	if a.Modes != "" {
		fmt.Fprintf(w, "\nOther modes:\n%s\n", indent(strings.TrimRight(a.Modes, "\n"), "  "))
	}
	fmt.Fprintf(w, "\nFlags:\n")
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	var flags []*flag.Flag
	a.Flags.VisitAll(func(f *flag.Flag) { flags = append(flags, f) })
	sort.Slice(flags, func(i, j int) bool { return flags[i].Name < flags[j].Name })
	for _, f := range flags {
		arg, use := flag.UnquoteUsage(f)
		name := "-" + f.Name
		if arg != "" {
			name += " " + arg
		}
		def := ""
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			def = " (default " + f.DefValue + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s%s\n", name, use, def)
	}
	fmt.Fprintf(tw, "  -h\tthis help\n")
	tw.Flush()
	fmt.Fprintf(w, "\nEnvironment (default; local default: used outside Lambda when unset):\n")
	tw = tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, v := range a.Env.Vars() {
		def := ""
		if v.Default != "" {
			def = " (default " + v.Default + ")"
		}
		if v.Local != "" {
			def += " (local default " + v.Local + ")"
		}
		doc := v.Doc
		if doc == "" {
			doc = "(undocumented)"
		}
		typ := ""
		if v.Type != "" {
			typ = " " + v.Type
		}
		fmt.Fprintf(tw, "  %s%s\t%s%s\n", v.Name, typ, doc, def)
	}
	tw.Flush()
}

func indent(s, by string) string {
	return by + strings.ReplaceAll(s, "\n", "\n"+by)
}
