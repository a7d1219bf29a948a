package awsfake

import "testing"

func TestFailuresQueue(t *testing.T) {
	q := failures{service: "test", answers: map[Failure]apiError{Throttling: {400, "Throttling", "Rate exceeded"}, InternalError: {500, "InternalError", "x"}}}
	q.add(1, Throttling)
	q.add(2, InternalError)
	for i, want := range []string{"Throttling", "InternalError", "InternalError", ""} {
		got := q.next()
		if (got == nil) != (want == "") || got != nil && got.Code != want {
			t.Fatalf("answer %d = %+v, want %q", i, got, want)
		}
	}
	// Taking an answer must not let the caller change the service's table.
	q.add(1, Throttling)
	q.next().Message = "changed"
	q.add(1, Throttling)
	if got := q.next(); got.Message != "Rate exceeded" {
		t.Errorf("answer table changed: %q", got.Message)
	}
	defer func() {
		if recover() == nil {
			t.Error("a failure the service does not answer was queued without a panic")
		}
	}()
	q.add(1, AccessDenied)
}
