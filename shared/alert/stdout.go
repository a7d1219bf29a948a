package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Writer is the local publisher: it prints each alert as the email and the SMS would read,
// or with JSON one object per alert per line, so a developer sees what on-call would get.
type Writer struct {
	W    io.Writer
	JSON bool
	mu   sync.Mutex
}

// printed is one alert as the local -json output shows it.
type printed struct {
	machineView
	Subject string `json:"subject"`
	SMS     string `json:"sms"`
	Email   string `json:"email"`
}

// Publish implements Publisher.
func (w *Writer) Publish(_ context.Context, alerts []Alert) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, a := range alerts {
		m := Render(a)
		if w.JSON {
			b, err := json.Marshal(printed{machineView: view(a), Subject: m.Subject, SMS: m.SMS, Email: m.Email})
			if err != nil {
				return fmt.Errorf("render alert %s: %w", a.Kind, err)
			}
			if _, err := fmt.Fprintf(w.W, "%s\n", b); err != nil {
				return err
			}
			continue
		}
		_, err := fmt.Fprintf(w.W, "── ALERT %s %s (event %s)\nSMS     │ %s\nSubject │ %s\nEmail   │ %s\n",
			a.Severity, a.Kind, Clean(a.EventID, 64), m.SMS, m.Subject,
			strings.ReplaceAll(strings.TrimRight(m.Email, "\n"), "\n", "\n        │ "))
		if err != nil {
			return err
		}
	}
	return nil
}
