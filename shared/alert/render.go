package alert

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/trailguard/trailguard/shared/rules/attack"
)

// Limits of the channels an alert goes out on.
const (
	MaxSMSBytes     = 140 // one SMS in the GSM 7-bit alphabet, with room to spare for carriers
	MaxSubjectChars = 100 // SNS rejects longer email subjects
	// MaxMessageBytes is SNS's message size limit (the topic's default MaximumMessageSize,
	// 256 KiB): one message, body and attributes, and also the sum of all messages of one
	// PublishBatch ("the combined size of all messages in the batch, including each message's
	// body and attributes, must not exceed the topic's MaximumMessageSize", PublishBatch API).
	MaxMessageBytes = 262144
)

// Message is an alert rendered for every audience of the topic: Email (full detail), SMS
// (one line), Default (JSON, for SQS, HTTP and Lambda subscribers), Subject for email, and
// the attributes subscription filter policies match on.
type Message struct {
	Subject    string
	SMS        string
	Email      string
	Default    string
	Attributes map[string]string
}

// SNSJSON is the Message for Publish with MessageStructure=json: one text per protocol.
func (m Message) SNSJSON() string {
	b, _ := json.Marshal(struct {
		Default string `json:"default"`
		Email   string `json:"email"`
		SMS     string `json:"sms"`
	}{m.Default, m.Email, m.SMS})
	return string(b)
}

// Size is what the message counts against MaxMessageBytes, on the safe side: the JSON body,
// the subject, and each attribute's name, data type and value.
func (m Message) Size() int {
	n := len(m.SNSJSON()) + len(m.Subject)
	for k, v := range m.Attributes {
		n += len(k) + len("String") + len(v)
	}
	return n
}

// Render renders an alert. Every piece of event text is sanitized on the way, and the
// message fits MaxMessageBytes (see fit).
func Render(a Alert) Message {
	m := render(a)
	fit(&m, a)
	return m
}

// fit keeps a message within MaxMessageBytes: an alert with very many or very long details
// has the details and runbook left out of its JSON (marked "truncated"), then its email cut
// with a note that says so and names the CloudTrail event to read in full.
func fit(m *Message, a Alert) {
	if m.Size() <= MaxMessageBytes {
		return
	}
	if len(m.Default) > MaxMessageBytes/4 {
		v := view(a)
		v.Details, v.Runbook, v.Truncated = nil, nil, true
		b, _ := json.Marshal(v)
		m.Default = string(b)
	}
	note := fmt.Sprintf("\n[truncated to fit SNS's 256 KB message limit; read CloudTrail event %s in full]\n", ASCII(orDash(a.EventID), 64))
	full := m.Email
	cut := func(keep int) string {
		for keep > 0 && !utf8.RuneStart(full[keep]) {
			keep--
		}
		return full[:keep] + note
	}
	// The longest cut that fits: JSON escaping makes a byte of email cost one to six.
	lo, hi := 0, len(full)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		m.Email = cut(mid)
		if m.Size() <= MaxMessageBytes {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	m.Email = cut(lo)
}

func render(a Alert) Message {
	return Message{
		Subject: subject(a),
		SMS:     sms(a),
		Email:   email(a),
		Default: machine(a),
		Attributes: map[string]string{
			"severity": string(a.Severity),
			"kind":     a.Kind,
			"account":  ASCII(a.Account, 32),
		},
	}
}

// subject keeps the severity, the whole source address and the account; the person, the
// role and the title share what is left, shrinking in that order of importance.
func subject(a Alert) string {
	p := person(a)
	fixed := " from " + ASCII(orDash(a.SourceIP), 45) + " acct " + cloudAccount(a)
	for _, f := range []struct {
		head                bool
		title, who, roleCut int
		digest              bool
	}{
		{true, 40, 64, 24, true}, {true, 40, 64, 24, false}, {true, 40, 64, 0, false},
		{true, 20, 40, 0, false}, {true, 14, 24, 0, false}, {true, 0, 24, 0, false},
		{true, 0, 12, 0, false}, {false, 0, 12, 0, false},
	} {
		var b strings.Builder
		if f.head {
			b.WriteString("trailguard ")
		}
		b.WriteString(ASCII(string(a.Severity), 8))
		if t := ASCII(a.Title, f.title); t != "" {
			b.WriteString(" " + t)
		}
		b.WriteString(": " + Quote(p.name, f.who))
		if r := ASCII(p.role, f.roleCut); r != "" {
			b.WriteString(" (" + r + ")")
		}
		b.WriteString(fixed)
		if f.digest && a.Folded > 0 {
			fmt.Fprintf(&b, " [+%d folded]", a.Folded)
		}
		if b.Len() <= MaxSubjectChars {
			return b.String()
		}
	}
	return ASCII(fmt.Sprintf("%s%s", ASCII(string(a.Severity), 8), fixed), MaxSubjectChars)
}

// sms fits one line into MaxSMSBytes. The severity, the whole source address (an IPv6
// address is up to 39 characters), the account and the person always stay; when space is
// short the role goes first, then the counts shorten, then the title and the person's name.
func sms(a Alert) string {
	p := person(a)
	head := "trailguard " + ASCII(string(a.Severity), 8)
	fixed := " IP:" + ASCII(orDash(a.SourceIP), 45)
	acct := " acct:" + cloudAccount(a)
	for _, f := range []struct {
		title, who, role, tail int // tail: 2 full, 1 shorter, 0 shortest
	}{
		{40, 64, 24, 2}, {40, 64, 0, 2}, {40, 64, 0, 1}, {16, 64, 0, 1}, {16, 32, 0, 1},
		{16, 32, 0, 0}, {0, 32, 0, 0}, {0, 20, 0, 0}, {0, 12, 0, 0},
	} {
		var b strings.Builder
		b.WriteString(head)
		if t := ASCII(a.Title, f.title); t != "" {
			b.WriteString(" " + t)
		}
		b.WriteString(fixed + " user:" + Quote(p.name, f.who))
		if r := ASCII(p.role, f.role); r != "" {
			b.WriteString(" role:" + r)
		}
		b.WriteString(acct + smsTail(a, f.tail))
		if b.Len() <= MaxSMSBytes {
			return b.String()
		}
	}
	out := head + fixed + " user:" + Quote(p.name, 8) + acct
	if len(out) > MaxSMSBytes {
		out = out[:MaxSMSBytes]
	}
	return out
}

// smsTail is the counts an SMS ends with, at three lengths: the folded digest
// ("+187 from 2a02:1810:4d02:a100::/64 since 10:02"), the start of folding ("folding till
// 11:02"), and the repeats of this very finding ("+37 since 10:02").
func smsTail(a Alert, form int) string {
	var b strings.Builder
	if a.Folded > 0 {
		fmt.Fprintf(&b, " +%d", a.Folded)
		if from := ASCII(a.FoldedFrom, 45); from != "" && form > 0 {
			b.WriteString(" from " + from)
		}
		if form > 1 {
			b.WriteString(" since " + a.FoldedSince.UTC().Format("15:04"))
		}
		if form == 0 {
			b.WriteString(" folded")
		}
	}
	if a.Suppressed > 0 {
		fmt.Fprintf(&b, " +%d", a.Suppressed)
		if form > 0 {
			b.WriteString(" since " + a.SuppressedSince.UTC().Format("15:04"))
		}
	}
	if !a.FoldingUntil.IsZero() {
		b.WriteString(" folding")
		if form > 0 {
			b.WriteString(" till " + a.FoldingUntil.UTC().Format("15:04"))
		}
	}
	return b.String()
}

// who is the person behind an alert, as on-call names them, and the role they act in.
type who struct {
	name, role string
}

// person reads the person from the principal: for an assumed role (IAM Identity Center's
// AWSReservedSSO_<permission set>_<id> included) the session name, which is the person (an
// Identity Center user's name, an email address), with the role shortened to the
// permission set; otherwise the user name.
func person(a Alert) who {
	if _, rest, ok := strings.Cut(a.Principal, ":assumed-role/"); ok {
		if role, session, ok := strings.Cut(rest, "/"); ok && session != "" {
			return who{name: session, role: shortRole(role)}
		}
	}
	if a.User == "" {
		return who{name: orDash(a.Principal)}
	}
	return who{name: a.User}
}

// shortRole drops what adds nothing for a person reading an SMS: IAM Identity Center's
// "AWSReservedSSO_" prefix and "_<16 hex>" suffix of the permission set's role.
func shortRole(role string) string {
	if rest, ok := strings.CutPrefix(role, "AWSReservedSSO_"); ok {
		if i := strings.LastIndexByte(rest, '_'); i > 0 && isHex(rest[i+1:]) {
			rest = rest[:i]
		}
		return rest
	}
	return role
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

func email(a Alert) string {
	var b strings.Builder
	fmt.Fprintf(&b, "trailguard %s alert: %s\n\n", a.Severity, Clean(a.Title, 80))
	line := func(label, value string) {
		if value != "" {
			fmt.Fprintf(&b, "%-12s %s\n", label+":", value)
		}
	}
	who := QuoteText(a.User, 128)
	if p := Clean(a.Principal, 256); p != "" && p != who {
		who += " (" + p + ")"
	}
	line("Who", who)
	if p := person(a); p.role != "" {
		line("Person", QuoteText(p.name, 128)+" as "+Clean(p.role, 128))
	}
	line("From", Clean(a.SourceIP, 128))
	if !a.EventTime.IsZero() {
		line("When", a.EventTime.UTC().Format(time.RFC3339))
	}
	line("What", Clean(a.EventName, 128))
	line("Cloud", Clean(a.Cloud, 16))
	line("Account", Clean(a.Account, 32))
	line("Region", Clean(a.Region, 32))
	line("Event ID", Clean(a.EventID, 64))
	line("User agent", QuoteText(a.UserAgent, 512))
	for _, d := range a.Details {
		line(Clean(d.Label, 32), Clean(d.Value, 512))
	}
	tactics, techniques := attack.Split(a.Attack)
	for _, id := range tactics {
		line("Tactic", Clean(attack.Label(id), 128))
	}
	for _, id := range techniques {
		line("Technique", Clean(attack.Label(id), 128))
	}
	if len(a.Runbook) > 0 {
		b.WriteString("\nWhat to check first:\n")
		for i, step := range a.Runbook {
			fmt.Fprintf(&b, "  %d. %s\n", i+1, Clean(step, 512))
		}
	}
	if a.Suppressed > 0 {
		fmt.Fprintf(&b, "\nAnd %d more like this since %s (suppressed).\n",
			a.Suppressed, a.SuppressedSince.UTC().Format("2006-01-02 15:04 UTC"))
	}
	if a.Folded > 0 {
		fmt.Fprintf(&b, "\nFlood digest: %d more alerts of this kind for this principal were folded since %s",
			a.Folded, a.FoldedSince.UTC().Format("2006-01-02 15:04 UTC"))
		if from := Clean(a.FoldedFrom, 64); from != "" {
			b.WriteString(", from " + from)
		}
		b.WriteString(" (flood control: none of them was sent).\n")
	}
	if !a.FoldingUntil.IsZero() {
		fmt.Fprintf(&b, "\nFlood control: this is the last alert of this kind for this principal sent until %s;"+
			" the ones after it are folded and counted, and the next alert after that time reports them.\n",
			a.FoldingUntil.UTC().Format("2006-01-02 15:04 UTC"))
	}
	fmt.Fprintf(&b, "\nKind: %s, severity %s, fingerprint %s\n", a.Kind, a.Severity, a.Fingerprint())
	return b.String()
}

// machineView is the JSON an automated subscriber receives; the local -json output uses it too.
type machineView struct {
	Kind            string            `json:"kind"`
	Severity        Severity          `json:"severity"`
	Title           string            `json:"title"`
	Cloud           string            `json:"cloud,omitempty"`
	Account         string            `json:"account"`
	Region          string            `json:"region,omitempty"`
	Principal       string            `json:"principal"`
	User            string            `json:"user,omitempty"`
	SourceIP        string            `json:"source_ip"`
	EventID         string            `json:"event_id"`
	EventName       string            `json:"event_name"`
	EventTime       string            `json:"event_time,omitempty"`
	UserAgent       string            `json:"user_agent,omitempty"`
	Details         map[string]string `json:"details,omitempty"`
	Attack          []string          `json:"attack,omitempty"`
	Runbook         []string          `json:"runbook,omitempty"`
	Fingerprint     string            `json:"fingerprint"`
	Suppressed      int               `json:"suppressed,omitempty"`
	SuppressedSince string            `json:"suppressed_since,omitempty"`
	Folded          int               `json:"folded,omitempty"`
	FoldedSince     string            `json:"folded_since,omitempty"`
	FoldedFrom      string            `json:"folded_from,omitempty"`
	FoldingUntil    string            `json:"folding_until,omitempty"`
	Truncated       bool              `json:"truncated,omitempty"`
}

func view(a Alert) machineView {
	v := machineView{
		Kind: a.Kind, Severity: a.Severity, Title: Clean(a.Title, 80),
		Cloud: Clean(a.Cloud, 16), Account: Clean(a.Account, 32), Region: Clean(a.Region, 32),
		Principal: Clean(a.Principal, 256), User: Clean(a.User, 128),
		SourceIP: Clean(a.SourceIP, 128), EventID: Clean(a.EventID, 64),
		EventName: Clean(a.EventName, 128), UserAgent: Clean(a.UserAgent, 512),
		Fingerprint: a.Fingerprint(), Suppressed: a.Suppressed,
	}
	if !a.EventTime.IsZero() {
		v.EventTime = a.EventTime.UTC().Format(time.RFC3339)
	}
	if a.Suppressed > 0 {
		v.SuppressedSince = a.SuppressedSince.UTC().Format(time.RFC3339)
	}
	if a.Folded > 0 {
		v.Folded, v.FoldedFrom = a.Folded, Clean(a.FoldedFrom, 64)
		v.FoldedSince = a.FoldedSince.UTC().Format(time.RFC3339)
	}
	if !a.FoldingUntil.IsZero() {
		v.FoldingUntil = a.FoldingUntil.UTC().Format(time.RFC3339)
	}
	for _, id := range a.Attack {
		v.Attack = append(v.Attack, Clean(id, 16))
	}
	for _, step := range a.Runbook {
		v.Runbook = append(v.Runbook, Clean(step, 512))
	}
	if len(a.Details) > 0 {
		v.Details = make(map[string]string, len(a.Details))
		for _, d := range a.Details {
			v.Details[Clean(d.Label, 32)] = Clean(d.Value, 512)
		}
	}
	return v
}

func machine(a Alert) string {
	b, _ := json.Marshal(view(a))
	return string(b)
}

// cloudAccount is the account as an SMS or subject names it: "tencent:100012345678" for
// another cloud's account, the bare ID for AWS's.
func cloudAccount(a Alert) string {
	acct := ASCII(orDash(a.Account), 20)
	if c := ASCII(a.Cloud, 8); c != "" {
		return c + ":" + acct
	}
	return acct
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
