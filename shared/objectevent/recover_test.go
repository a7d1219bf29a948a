package objectevent

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestRecover(t *testing.T) {
	o := Object{Bucket: "trail", Key: "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/f.json.gz"}
	boom := errors.New("boom")
	tests := []struct {
		name    string
		handle  func() error
		want    error // errors.Is
		message string
		logged  bool
	}{
		{name: "no error", handle: func() error { return nil }},
		{name: "an error is returned as it is", handle: func() error { return boom }, want: boom},
		{name: "index out of range", handle: func() error { var s []int; i := -1; _ = s[i+len(s)]; return nil },
			want: ErrPanic, message: "index out of range", logged: true},
		{name: "panic with an error", handle: func() error { panic(boom) }, want: ErrPanic, message: "boom", logged: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&logs, nil))
			err := Recover(context.Background(), log, o, tt.handle)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			if tt.message != "" && (!strings.Contains(err.Error(), tt.message) || !strings.Contains(err.Error(), o.Key)) {
				t.Errorf("error %q does not say %q of %s", err, tt.message, o.Key)
			}
			if logged := strings.Contains(logs.String(), `"level":"ERROR"`) && strings.Contains(logs.String(), "goroutine ") &&
				strings.Contains(logs.String(), `"key":"`+o.Key); logged != tt.logged {
				t.Errorf("logged with stack and key = %v, want %v: %s", logged, tt.logged, logs.String())
			}
		})
	}
}
