package localstate_test

import (
	"context"
	"testing"

	"github.com/trailguard/trailguard/internal/storecontract"
	"github.com/trailguard/trailguard/shared/localstate"
)

func TestChangesContract(t *testing.T) {
	storecontract.Changes(t, func(t *testing.T) storecontract.ChangeStore {
		s, err := localstate.NewChanges(context.Background(), open(t))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
