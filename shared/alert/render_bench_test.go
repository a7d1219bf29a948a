package alert

import (
	"bytes"
	"context"
	"testing"
)

// BenchmarkRender: one alert rendered for every channel (SMS, email, subject, the JSON of the
// default message and of SNS's MessageStructure=json), as each alert sent pays it.
func BenchmarkRender(b *testing.B) {
	a := sample()
	b.ReportAllocs()
	for range b.N {
		m := Render(a)
		_ = m.SNSJSON()
	}
}

// BenchmarkWriterJSON: one alert printed as a -json line by the local publisher.
func BenchmarkWriterJSON(b *testing.B) {
	var buf bytes.Buffer
	w := &Writer{W: &buf, JSON: true}
	alerts := []Alert{sample()}
	b.ReportAllocs()
	for range b.N {
		buf.Reset()
		if err := w.Publish(context.Background(), alerts); err != nil {
			b.Fatal(err)
		}
	}
}
