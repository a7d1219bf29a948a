package keylayout

// placeholder is one {name} of a layout: the column it gives when alone in a segment and the
// text it accepts.
type placeholder struct {
	name   string
	column string
	width  int               // fixed width in bytes; 0 for variable
	valid  func(string) bool // whether the text is a value of this placeholder
	date   datePart          // which part of a date it is; noDate otherwise
}

// datePart orders the date placeholders as a calendar does, for -since pruning.
type datePart int

const (
	noDate datePart = iota
	year
	month
	day
	hour
)

// placeholders are those a KEY_LAYOUT may use. Identifiers are lenient, since layouts serve
// other clouds too (Tencent, Huawei and Alibaba account IDs are not 12 digits).
var placeholders = map[string]*placeholder{
	"account": {name: "account", column: "account", valid: identifier},
	"region":  {name: "region", column: "region", valid: identifier},
	"org":     {name: "org", column: "org", valid: identifier},
	"yyyy":    {name: "yyyy", column: "year", width: 4, valid: digitsIn(1970, 9999), date: year},
	"MM":      {name: "MM", column: "month", width: 2, valid: digitsIn(1, 12), date: month},
	"dd":      {name: "dd", column: "day", width: 2, valid: digitsIn(1, 31), date: day},
	"HH":      {name: "HH", column: "hour", width: 2, valid: digitsIn(0, 23), date: hour},
}

// The CloudTrail layout's own, strict placeholders.
var (
	cloudTrailAccount = &placeholder{name: "account", column: "account", valid: awsAccount}
	cloudTrailRegion  = &placeholder{name: "region", column: "region", valid: awsRegion}
	cloudTrailOrg     = &placeholder{name: "org", valid: orgID}
)

// identifier accepts letters, digits, '-', '_' and '.': account IDs and region names of any cloud.
func identifier(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// digitsIn accepts decimal digits whose value lies in [lo, hi].
func digitsIn(lo, hi int) func(string) bool {
	return func(s string) bool {
		n := 0
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
			n = n*10 + int(s[i]-'0')
		}
		return s != "" && n >= lo && n <= hi
	}
}

// awsAccount accepts a 12-digit AWS account ID.
func awsAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// awsRegion accepts an AWS region name: lower-case words joined by '-', ending in a number
// (us-east-1, us-gov-west-1, cn-northwest-1, eu-isoe-west-1).
func awsRegion(s string) bool {
	if len(s) < 4 || len(s) > 32 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	i := len(s) - 1
	for i > 0 && s[i] >= '0' && s[i] <= '9' {
		i--
	}
	if i == len(s)-1 || s[i] != '-' {
		return false
	}
	for j := 0; j < i; j++ {
		c := s[j]
		if !(c >= 'a' && c <= 'z' || c == '-') || c == '-' && s[j+1] == '-' {
			return false
		}
	}
	return true
}

// orgID accepts an AWS Organizations ID, "o-" and 10 to 32 lower-case letters or digits.
func orgID(s string) bool {
	if len(s) < 12 || len(s) > 34 || s[0] != 'o' || s[1] != '-' {
		return false
	}
	for i := 2; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
