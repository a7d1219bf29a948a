package ipallow

// Verdict is the outcome of Check with its reason, for the alert text and the
// decision log. The zero Verdict is untrusted.
type Verdict uint8

// Verdicts, the untrusted ones first.
const (
	NotIP         Verdict = iota // not a plain IP address and not in ALLOWED_SOURCES
	NotListed                    // a plain IP address outside every ALLOWED_CIDRS prefix
	AllowedIP                    // a plain IP address inside an ALLOWED_CIDRS prefix
	AllowedSource                // listed verbatim in ALLOWED_SOURCES
)

// Allowed reports whether the source is trusted.
func (v Verdict) Allowed() bool { return v == AllowedIP || v == AllowedSource }

// String returns the reason as it reads in an alert or a log line.
func (v Verdict) String() string {
	switch v {
	case NotListed:
		return "not in allowlist"
	case AllowedIP:
		return "allowed address"
	case AllowedSource:
		return "allowed source"
	default:
		return "not a plain IP address"
	}
}
