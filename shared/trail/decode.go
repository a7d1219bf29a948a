package trail

import (
	stdjson "encoding/json"

	json "github.com/goccy/go-json"
)

// Event is an EventBridge event as Lambda receives it, carrying one CloudTrail record in
// detail ("AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail", …).
type Event struct {
	Version    string   `json:"version"`
	ID         string   `json:"id"`
	DetailType string   `json:"detail-type"`
	Source     string   `json:"source"`
	Account    string   `json:"account"`
	Time       string   `json:"time"`
	Region     string   `json:"region"`
	Resources  []string `json:"resources"`
	Detail     *Record  `json:"detail"`
}

// DecodeEvent decodes an EventBridge event and checks its envelope: source, detail-type and
// a detail object must be present. Which record fields are needed is the caller's to say,
// with Record.Require.
func DecodeEvent(data []byte) (*Event, error) {
	var ev Event
	if err := unmarshal(data, &ev); err != nil {
		return nil, err
	}
	switch {
	case ev.Source == "":
		return nil, malformed("", &FieldError{Field: "source", Problem: "missing"})
	case ev.DetailType == "":
		return nil, malformed("", &FieldError{Field: "detail-type", Problem: "missing"})
	case ev.Detail == nil:
		return nil, malformed("", &FieldError{Field: "detail", Problem: "missing (want the CloudTrail record object)"})
	}
	return &ev, nil
}

// DecodeRecord decodes one bare CloudTrail record (a line of a JSON-lines file, an element
// of a log file's Records array).
func DecodeRecord(data []byte) (*Record, error) {
	var r Record
	if err := unmarshal(data, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// unmarshal decodes with the fast decoder. Errors are rare, so on one the standard library
// decodes again: its messages name the JSON path of a mistyped field more reliably.
func unmarshal(data []byte, v any) error {
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	if stdErr := stdjson.Unmarshal(data, v); stdErr != nil {
		err = stdErr
	}
	return malformed("", err)
}
