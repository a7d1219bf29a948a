package main

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/changelog"
	"github.com/trailguard/trailguard/shared/config"
	"github.com/trailguard/trailguard/shared/tags"
)

// Config is tagenrich's environment.
type Config struct {
	// OnlyWrite keeps only mutating calls (readOnly false); a record without readOnly is kept.
	OnlyWrite bool `envconfig:"ONLY_WRITE" default:"true"`
	// Services limits the records kept to these event sources ("ec2" or "ec2.amazonaws.com");
	// empty: all.
	Services []string `envconfig:"SERVICES"`
	// TagKeys are the tag keys the change table indexes for queries by tag.
	TagKeys       []string `envconfig:"TAG_KEYS" default:"project,cost-center,owner,env"`
	RetentionDays int      `envconfig:"RETENTION_DAYS" default:"180"`
	// KnownTagsDays is how long a resource's last known tags outlive their last lookup.
	KnownTagsDays int `envconfig:"KNOWN_TAGS_DAYS" default:"730"`
	// AlertOnTags lists KEY=VALUE pairs: a change to a resource carrying one raises an alert.
	AlertOnTags    []string `envconfig:"ALERT_ON_TAGS"`
	ChangeTable    string   `envconfig:"CHANGE_TABLE"`
	KnownTagsTable string   `envconfig:"KNOWN_TAGS_TABLE"`
	// HomeAccount is the enricher's own account; others are read through MemberRoleName.
	HomeAccount    string `envconfig:"HOME_ACCOUNT_ID"`
	MemberRoleName string `envconfig:"MEMBER_ROLE_NAME"`
	// MemberAccounts are the accounts whose MEMBER_ROLE_NAME may be assumed (12-digit IDs,
	// commas); listed, no other account is. OrganizationID (o-…) lets any account of the
	// organization be tried when none is listed (IAM's aws:ResourceOrgID refuses the rest).
	// With neither, no role is assumed: only the home account's tags are read. The template
	// sets both from its MemberAccounts and OrganizationId parameters, as its IAM policy does.
	MemberAccounts []string      `envconfig:"MEMBER_ACCOUNTS"`
	OrganizationID string        `envconfig:"ORGANIZATION_ID"`
	CacheTTL       time.Duration `envconfig:"TAG_CACHE_TTL" default:"10m"`
	CacheSize      int           `envconfig:"TAG_CACHE_SIZE" default:"10000"`
	// LookupAttempts bounds the SDK's attempts per tag, IAM and STS call (throttling retried
	// with backoff in between).
	LookupAttempts int `envconfig:"LOOKUP_MAX_ATTEMPTS" default:"6"`
	// The shared alerting configuration, used when ALERT_ON_TAGS is set. Embedded, not named:
	// envconfig would prefix a named struct's variables (ALERT_…).
	alert.Config
}

// tagCond is one KEY=VALUE of ALERT_ON_TAGS.
type tagCond struct{ Key, Value string }

// settings is the validated configuration in the form the handler uses.
type settings struct {
	Config
	services map[string]bool // eventSource → kept; empty: all
	alertOn  []tagCond
}

var (
	accountRE  = regexp.MustCompile(`^[0-9]{12}$`)
	roleNameRE = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	// orgIDRE is the Organizations ID pattern (API reference, Organization.Id).
	orgIDRE = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
)

// maxTagKeys bounds TAG_KEYS: each indexed key a resource carries is one more item written.
const maxTagKeys = 20

// loadConfig reads and validates the environment; every error names its variable.
func loadConfig() (settings, error) {
	var s settings
	if err := config.Load(&s.Config, nil); err != nil {
		return s, err
	}
	return s, s.validate(config.UnderLambda())
}

func (s *settings) validate(underLambda bool) error {
	s.services = map[string]bool{}
	for _, svc := range trimmed(s.Services) {
		if !strings.Contains(svc, ".") {
			svc += ".amazonaws.com"
		}
		s.services[svc] = true
	}
	s.TagKeys = trimmed(s.TagKeys)
	switch {
	case len(s.TagKeys) == 0:
		return &config.Error{Var: "TAG_KEYS", Problem: "names no tag key: changes could not be queried by tag"}
	case len(s.TagKeys) > maxTagKeys:
		return &config.Error{Var: "TAG_KEYS", Problem: fmt.Sprintf("names %d keys, at most %d", len(s.TagKeys), maxTagKeys)}
	}
	for _, k := range s.TagKeys {
		if strings.Contains(k, "=") || len(k) > 128 {
			return &config.Error{Var: "TAG_KEYS", Problem: fmt.Sprintf("%q is not a tag key this table can index (at most 128 characters, no '=')", k)}
		}
	}
	for _, p := range trimmed(s.AlertOnTags) {
		k, v, ok := changelog.TagPair(p)
		if !ok {
			return &config.Error{Var: "ALERT_ON_TAGS", Problem: fmt.Sprintf("%q is not KEY=VALUE", p)}
		}
		s.alertOn = append(s.alertOn, tagCond{k, v})
	}
	switch {
	case s.RetentionDays < 1:
		return &config.Error{Var: "RETENTION_DAYS", Problem: fmt.Sprintf("%d: want at least 1 day", s.RetentionDays)}
	case s.KnownTagsDays < 1:
		return &config.Error{Var: "KNOWN_TAGS_DAYS", Problem: fmt.Sprintf("%d: want at least 1 day", s.KnownTagsDays)}
	case s.CacheTTL < 0:
		return &config.Error{Var: "TAG_CACHE_TTL", Problem: fmt.Sprintf("negative duration %s", s.CacheTTL)}
	case s.CacheSize < 0:
		return &config.Error{Var: "TAG_CACHE_SIZE", Problem: fmt.Sprintf("negative size %d", s.CacheSize)}
	case s.LookupAttempts < 1:
		return &config.Error{Var: "LOOKUP_MAX_ATTEMPTS", Problem: fmt.Sprintf("%d: want at least 1", s.LookupAttempts)}
	case s.HomeAccount != "" && !accountRE.MatchString(s.HomeAccount):
		return &config.Error{Var: "HOME_ACCOUNT_ID", Problem: fmt.Sprintf("%q is not a 12-digit account ID", s.HomeAccount)}
	case s.MemberRoleName != "" && !roleNameRE.MatchString(s.MemberRoleName):
		return &config.Error{Var: "MEMBER_ROLE_NAME", Problem: fmt.Sprintf("%q is not an IAM role name", s.MemberRoleName)}
	case s.OrganizationID != "" && !orgIDRE.MatchString(s.OrganizationID):
		return &config.Error{Var: "ORGANIZATION_ID", Problem: fmt.Sprintf("%q is not an organization ID (o- and 10 to 32 lower-case letters or digits)", s.OrganizationID)}
	}
	s.MemberAccounts = trimmed(s.MemberAccounts)
	for _, a := range s.MemberAccounts {
		if !accountRE.MatchString(a) {
			return &config.Error{Var: "MEMBER_ACCOUNTS", Problem: fmt.Sprintf("%q is not a 12-digit account ID", a)}
		}
	}
	if underLambda {
		for _, req := range []struct{ name, value string }{
			{"CHANGE_TABLE", s.ChangeTable}, {"KNOWN_TAGS_TABLE", s.KnownTagsTable}, {"HOME_ACCOUNT_ID", s.HomeAccount},
		} {
			if err := config.Required(req.name, req.value); err != nil {
				return err
			}
		}
	}
	// Alerting is optional: under Lambda the topic and the alert state table are required only
	// when there is something to alert on.
	if len(s.alertOn) > 0 || !underLambda {
		return s.Config.Config.Validate()
	}
	return nil
}

// trimmed drops blanks and surrounding spaces from a comma-separated list's entries.
func trimmed(list []string) []string {
	var out []string
	for _, e := range list {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// accounts is the credential source of the tag lookups: the home account's own, and the
// member role only in the accounts MEMBER_ACCOUNTS and ORGANIZATION_ID make known members
// (tags.Accounts), assumed through stsClient.
func (s *settings) accounts(stsClient stscreds.AssumeRoleAPIClient) *tags.Accounts {
	return &tags.Accounts{Home: s.HomeAccount, RoleName: s.MemberRoleName, Members: s.MemberAccounts,
		Organization: s.OrganizationID, STS: stsClient}
}
