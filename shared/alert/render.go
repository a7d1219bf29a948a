package alert

import (
	"fmt"
	"strings"
	"time"

	json "github.com/goccy/go-json"

	"github.com/trailguard/trailguard/shared/rules/attack"
)

// Limits of the channels an alert goes out on.
const (
	MaxSMSBytes     = 140 // one SMS in the GSM 7-bit alphabet, with room to spare for carriers
	MaxSubjectChars = 100 // SNS rejects longer email subjects
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

// Render renders an alert. Every piece of event text is sanitized on the way.
func Render(a Alert) Message {
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

func subject(a Alert) string {
	s := fmt.Sprintf("trailguard %s %s: %s from %s acct %s",
		a.Severity, a.Title, ASCII(a.User, 40), ASCII(orDash(a.SourceIP), 45), ASCII(a.Account, 20))
	return ASCII(s, MaxSubjectChars)
}

// sms fits one line into MaxSMSBytes: the fixed words first, then as much of the user name
// and source as fits.
func sms(a Alert) string {
	tail := " acct:" + ASCII(a.Account, 20)
	if a.Suppressed > 0 {
		tail += fmt.Sprintf(" +%d since %s", a.Suppressed, a.SuppressedSince.UTC().Format("15:04"))
	}
	head := fmt.Sprintf("trailguard %s %s", a.Severity, ASCII(a.Title, 40))
	ip := " IP:" + ASCII(orDash(a.SourceIP), 45)
	room := MaxSMSBytes - len(head) - len(ip) - len(tail) - len(" user:")
	if room < 4 {
		room = 4
	}
	out := head + ip + " user:" + ASCII(orDash(a.User), room) + tail
	if len(out) > MaxSMSBytes {
		out = out[:MaxSMSBytes]
	}
	return out
}

func email(a Alert) string {
	var b strings.Builder
	fmt.Fprintf(&b, "trailguard %s alert: %s\n\n", a.Severity, Clean(a.Title, 80))
	line := func(label, value string) {
		if value != "" {
			fmt.Fprintf(&b, "%-12s %s\n", label+":", value)
		}
	}
	who := Clean(a.User, 128)
	if p := Clean(a.Principal, 256); p != "" && p != who {
		who += " (" + p + ")"
	}
	line("Who", who)
	line("From", Clean(a.SourceIP, 128))
	if !a.EventTime.IsZero() {
		line("When", a.EventTime.UTC().Format(time.RFC3339))
	}
	line("What", Clean(a.EventName, 128))
	line("Account", Clean(a.Account, 32))
	line("Region", Clean(a.Region, 32))
	line("Event ID", Clean(a.EventID, 64))
	line("User agent", Clean(a.UserAgent, 512))
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
	fmt.Fprintf(&b, "\nKind: %s, severity %s, fingerprint %s\n", a.Kind, a.Severity, a.Fingerprint())
	return b.String()
}

// machineView is the JSON an automated subscriber receives; the local -json output uses it too.
type machineView struct {
	Kind            string            `json:"kind"`
	Severity        Severity          `json:"severity"`
	Title           string            `json:"title"`
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
}

func view(a Alert) machineView {
	v := machineView{
		Kind: a.Kind, Severity: a.Severity, Title: Clean(a.Title, 80),
		Account: Clean(a.Account, 32), Region: Clean(a.Region, 32),
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

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
