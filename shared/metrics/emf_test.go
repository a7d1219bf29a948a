package metrics

import (
	"bytes"
	"context"
	stdjson "encoding/json"
	"errors"
	"testing"
	"time"

	json "github.com/goccy/go-json"
)

func TestFlushWritesEMF(t *testing.T) {
	c := &Counters{Function: "logincheck"}
	c.Add("EventsChecked", 1)
	c.Add("AlertsSent", 2)
	c.Add("AlertsSent", 1)
	var buf bytes.Buffer
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	if err := c.Flush(&buf, now); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		AWS struct {
			Timestamp         int64 `json:"Timestamp"`
			CloudWatchMetrics []struct {
				Namespace  string     `json:"Namespace"`
				Dimensions [][]string `json:"Dimensions"`
				Metrics    []struct{ Name, Unit string }
			} `json:"CloudWatchMetrics"`
		} `json:"_aws"`
		Function      string  `json:"Function"`
		EventsChecked float64 `json:"EventsChecked"`
		AlertsSent    float64 `json:"AlertsSent"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("%v: %s", err, buf.Bytes())
	}
	m := doc.AWS.CloudWatchMetrics
	if doc.AWS.Timestamp != now.UnixMilli() || len(m) != 1 || m[0].Namespace != Namespace ||
		len(m[0].Dimensions) != 1 || m[0].Dimensions[0][0] != "Function" || len(m[0].Metrics) != 2 {
		t.Fatalf("EMF envelope wrong: %s", buf.Bytes())
	}
	if doc.Function != "logincheck" || doc.EventsChecked != 1 || doc.AlertsSent != 3 {
		t.Errorf("values wrong: %s", buf.Bytes())
	}
	buf.Reset()
	if err := c.Flush(&buf, now); err != nil || buf.Len() != 0 {
		t.Errorf("second flush wrote %q (%v), want nothing: counters reset", buf.String(), err)
	}
}

func TestFlushingWithWritesOneLinePerInvocation(t *testing.T) {
	c := &Counters{Function: "partitions"}
	var buf bytes.Buffer
	h := FlushingWith(c, &buf, func(context.Context, stdjson.RawMessage) (int, error) {
		c.Add("Objects", 2)
		return 7, errors.New("failed")
	})
	got, err := h(context.Background(), nil)
	if got != 7 || err == nil || err.Error() != "failed" {
		t.Errorf("handler result %d, %v: want its own answer and error", got, err)
	}
	if n := bytes.Count(buf.Bytes(), []byte("\n")); n != 1 || !bytes.Contains(buf.Bytes(), []byte(`"Objects":2`)) {
		t.Errorf("wrote %q: want one EMF line even when the handler fails", buf.String())
	}
}
