package tags

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

type fakeSTS struct {
	roles []string
	ttl   time.Duration
}

func (f *fakeSTS) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	f.roles = append(f.roles, aws.ToString(in.RoleArn)+" as "+aws.ToString(in.RoleSessionName))
	return &sts.AssumeRoleOutput{Credentials: &ststypes.Credentials{
		AccessKeyId: aws.String("ASIAMEMBER"), SecretAccessKey: aws.String("s"), SessionToken: aws.String("t"),
		Expiration: aws.Time(time.Now().Add(f.ttl)),
	}}, nil
}

func TestAccountsAssumeTheMemberRoleOnceUntilExpiry(t *testing.T) {
	ctx := context.Background()
	stsc := &fakeSTS{ttl: time.Hour}
	a := &Accounts{Home: "111122223333", RoleName: "trailguard-tag-reader", Organization: "o-a1b2c3d4e5", STS: stsc}
	if p, err := a.For("aws", "111122223333"); p != nil || err != nil {
		t.Errorf("home account: %v, %v; want the clients' own credentials (nil)", p, err)
	}
	for range 3 {
		p, err := a.For("aws-us-gov", "222233334444")
		if err != nil {
			t.Fatal(err)
		}
		if c, err := p.Retrieve(ctx); err != nil || c.AccessKeyID != "ASIAMEMBER" {
			t.Fatalf("retrieve: %v, %v", c, err)
		}
	}
	want := "arn:aws-us-gov:iam::222233334444:role/trailguard-tag-reader as " + SessionName
	if len(stsc.roles) != 1 || stsc.roles[0] != want {
		t.Errorf("AssumeRole calls %v, want one: %s", stsc.roles, want)
	}

	// Credentials about to expire are refreshed.
	short := &fakeSTS{ttl: 30 * time.Second}
	b := &Accounts{Home: "111122223333", RoleName: "r", Members: []string{"222233334444"}, STS: short}
	p, _ := b.For("aws", "222233334444")
	for range 2 {
		if _, err := p.Retrieve(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(short.roles) != 2 {
		t.Errorf("%d AssumeRole calls for credentials inside the expiry window, want 2", len(short.roles))
	}
}

func TestAccountsWithoutHome(t *testing.T) {
	stsc := &fakeSTS{}
	a := &Accounts{RoleName: "r", STS: stsc}
	if p, err := a.For("aws", "222233334444"); p != nil || err != nil || len(stsc.roles) != 0 {
		t.Errorf("no home account: %v, %v, %d AssumeRole calls; want the clients' own credentials", p, err, len(stsc.roles))
	}
}

func TestAccountsWithoutRoleName(t *testing.T) {
	a := &Accounts{Home: "111122223333", STS: &fakeSTS{}}
	if _, err := a.For("aws", "222233334444"); err == nil {
		t.Fatal("another account without MEMBER_ROLE_NAME: want an error")
	}
}
