package localstate_test

import (
	"context"
	"testing"
	"time"

	"github.com/trailguard/trailguard/internal/storecontract"
	"github.com/trailguard/trailguard/shared/localstate"
	"github.com/trailguard/trailguard/shared/tags"
)

func TestKnownContract(t *testing.T) {
	storecontract.Known(t, func(t *testing.T) storecontract.KnownStore {
		k, err := localstate.NewKnown(context.Background(), open(t))
		if err != nil {
			t.Fatal(err)
		}
		return k
	})
}

// TestKnownExpires: with Retain, an entry past it is absent, as a DynamoDB item past its TTL.
func TestKnownExpires(t *testing.T) {
	ctx := context.Background()
	k, err := localstate.NewKnown(ctx, open(t))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	k.Retain, k.Now = 24*time.Hour, func() time.Time { return now }
	if err := k.Put(ctx, "arn:aws:s3:::b", tags.Tags{"project": "apollo"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := k.Get(ctx, "arn:aws:s3:::b"); !ok {
		t.Fatal("not found within Retain")
	}
	now = now.Add(25 * time.Hour)
	if _, ok, _ := k.Get(ctx, "arn:aws:s3:::b"); ok {
		t.Fatal("found past Retain")
	}
}
