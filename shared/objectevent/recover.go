package objectevent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
)

// ErrPanic marks the error of an object whose handling panicked (errors.Is).
var ErrPanic = errors.New("panic while handling the object")

// Recover runs handle, the handling of one object of a batch, and turns a panic in it into that
// object's error, logged with the stack. Under Lambda an unrecovered panic ends the process
// and fails every message of the batch; recovered, a file that trips a bug fails its own
// message only (retried, then dead-lettered, where a person sees it) and the others go on.
// A panic in a goroutine handle starts is not recovered here.
func Recover(ctx context.Context, log *slog.Logger, o Object, handle func() error) (err error) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		log.ErrorContext(ctx, "panic while handling an object", "decision", "retry", "bucket", o.Bucket, "key", o.Key,
			"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		err = fmt.Errorf("s3://%s/%s: %w: %v", o.Bucket, o.Key, ErrPanic, v)
	}()
	return handle()
}
