package templatecheck

import (
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// samSchemaPath is AWS's published SAM schema, copied into the repository (see
// testdata/schemas/ORIGIN.md) so the check runs on a plain clone.
var samSchemaPath = repoPath("testdata", "schemas", "sam.schema.json")

// samSchema compiles the SAM schema once for all tests.
var samSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	f, err := os.Open(samSchemaPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.UseRegexpEngine(samRegexp)
	if err := c.AddResource(samSchemaPath, doc); err != nil {
		return nil, err
	}
	return c.Compile(samSchemaPath)
})

// samRegexp compiles the schema's patterns. Its only pattern,
// "^(?!AWS::Serverless::).+$" (any resource type but SAM's own), needs a
// lookahead, which Go's regexp lacks, so that form is matched by hand.
func samRegexp(pattern string) (jsonschema.Regexp, error) {
	if rest, ok := strings.CutPrefix(pattern, "^(?!"); ok {
		if prefix, ok := strings.CutSuffix(rest, ").+$"); ok && regexp.QuoteMeta(prefix) == prefix {
			return notPrefixed{pattern: pattern, prefix: prefix}, nil
		}
	}
	return regexp.Compile(pattern)
}

// notPrefixed matches "^(?!prefix).+$": a non-empty single line that does not
// start with prefix.
type notPrefixed struct{ pattern, prefix string }

func (r notPrefixed) MatchString(s string) bool {
	return s != "" && !strings.ContainsRune(s, '\n') && !strings.HasPrefix(s, r.prefix)
}

func (r notPrefixed) String() string { return r.pattern }

func validateSAM(t *testing.T, tpl map[string]any) error {
	t.Helper()
	sch, err := samSchema()
	if err != nil {
		t.Fatalf("compile %s: %v", samSchemaPath, err)
	}
	return sch.Validate(tpl)
}

func TestTemplatesMatchSAMSchema(t *testing.T) {
	for _, path := range projectTemplates(t) {
		t.Run(path, func(t *testing.T) {
			if err := validateSAM(t, mustLoad(t, path)); err != nil {
				t.Errorf("%#v", err)
			}
		})
	}
}

func TestSAMSchemaRejectsBadTemplates(t *testing.T) {
	tests := []struct {
		file, want string
	}{
		{"testdata/bad-sam-function-property.yaml", "'Runtim'"},
		{"testdata/bad-sam-event-property.yaml", "'Retries'"},
		{"testdata/bad-sam-untyped.yaml", "at '/Resources/Queue': missing property 'Type'"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			err := validateSAM(t, mustLoad(t, tt.file))
			if err == nil {
				t.Fatal("the schema accepted it")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error does not mention %s: %v", tt.want, err)
			}
		})
	}
}

func TestSAMRegexpMatchesNonSAMTypes(t *testing.T) {
	re, err := samRegexp("^(?!AWS::Serverless::).+$")
	if err != nil {
		t.Fatal(err)
	}
	for s, want := range map[string]bool{
		"AWS::SQS::Queue":           true,
		"Custom::Thing":             true,
		"AWS::Serverless::Function": false,
		"":                          false,
		"AWS::SQS::Queue\nx":        false,
	} {
		if got := re.MatchString(s); got != want {
			t.Errorf("MatchString(%q) = %v, want %v", s, got, want)
		}
	}
	if _, err := samRegexp("^(?!a|b).+$"); err == nil {
		t.Error("a lookahead that is not a literal prefix compiled; want Go's error")
	}
}
