package tags

import (
	"fmt"
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
type Accounts struct {
	Home     string // the enricher's own account
	RoleName string // the member role's name; empty: other accounts cannot be read
	STS      stscreds.AssumeRoleAPIClient

	mu    sync.Mutex
	cache map[string]*aws.CredentialsCache
}

// For returns the credentials for account, nil meaning the clients' own (also for every
// account when Home is not set: a local run reads with whatever credentials it has).
func (a *Accounts) For(partition, account string) (aws.CredentialsProvider, error) {
	if account == "" || a.Home == "" || account == a.Home {
		return nil, nil
	}
	if a.RoleName == "" {
		return nil, fmt.Errorf("account %s is not the home account %s and MEMBER_ROLE_NAME is not set", account, a.Home)
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
