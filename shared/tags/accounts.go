package tags

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
)

// SessionName is the role session name of the enricher's assumed roles: member accounts'
// CloudTrail shows it as the caller of the tag reads.
const SessionName = "trailguard-tagenrich"

// Accounts hands out the credentials that read tags in an account of the organization: the
// clients' own in the home account, and elsewhere those of the member role
// arn:PARTITION:iam::ACCOUNT:role/ROLE, assumed through STS and cached until shortly before
// they expire (one cache per account, safe for concurrent use).
//
// A role is assumed only in an account known to be a member: one of Members when they are
// listed, otherwise any account when Organization is set (the enricher's IAM policy lets
// AssumeRole reach only roles of that organization, aws:ResourceOrgID). With neither, no role
// is assumed at all: only the home account's tags are read. Which account to ask for is the
// caller's to bind to the event (Resolver looks up only the event's own account).
type Accounts struct {
	Home     string // the enricher's own account
	RoleName string // the member role's name; empty: other accounts cannot be read
	// Members are the accounts whose member role may be assumed (MEMBER_ACCOUNTS); when
	// listed, no other account is, whatever Organization says.
	Members []string
	// Organization is the organization whose accounts' roles may be assumed
	// (ORGANIZATION_ID) when Members lists none; IAM refuses roles outside it.
	Organization string
	STS          stscreds.AssumeRoleAPIClient

	mu    sync.Mutex
	cache map[string]*aws.CredentialsCache
}

// ErrNotMember is For's error for an account whose role may not be assumed.
var ErrNotMember = errors.New("not an account known to be a member: no role assumed")

// For returns the credentials for account, nil meaning the clients' own (also for every
// account when Home is not set: a local run reads with whatever credentials it has). An
// account that is not a known member is ErrNotMember, and STS is not asked.
func (a *Accounts) For(partition, account string) (aws.CredentialsProvider, error) {
	if account == "" || a.Home == "" || account == a.Home {
		return nil, nil
	}
	if a.RoleName == "" {
		return nil, fmt.Errorf("account %s is not the home account %s and MEMBER_ROLE_NAME is not set", account, a.Home)
	}
	if err := a.member(account); err != nil {
		return nil, err
	}
	roleARN := ARN{Partition: partition, Service: "iam", Account: account, Resource: "role/" + a.RoleName}.String()
	a.mu.Lock()
	defer a.mu.Unlock()
	if p, ok := a.cache[roleARN]; ok {
		return p, nil
	}
	if a.cache == nil {
		a.cache = map[string]*aws.CredentialsCache{}
	}
	p := aws.NewCredentialsCache(
		stscreds.NewAssumeRoleProvider(a.STS, roleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = SessionName
		}),
		func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = time.Minute },
	)
	a.cache[roleARN] = p
	return p, nil
}

// member says whether account's role may be assumed (nil) or why not.
func (a *Accounts) member(account string) error {
	switch {
	case len(a.Members) > 0:
		if slices.Contains(a.Members, account) {
			return nil
		}
		return fmt.Errorf("account %s: %w (not in MEMBER_ACCOUNTS)", account, ErrNotMember)
	case a.Organization != "":
		return nil
	}
	return fmt.Errorf("account %s: %w (neither MEMBER_ACCOUNTS nor ORGANIZATION_ID is set: only the home account %s is read)", account, ErrNotMember, a.Home)
}
