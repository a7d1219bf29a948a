package rules

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// TrustedAccounts is what "outside the organization" means to the rules: the AWS account IDs
// of the organization (TRUSTED_ACCOUNTS), and its organization ID when given. CloudTrail
// records name accounts, not organizations, so an organization ID alone cannot tell a member
// account from a stranger: with no account listed, the rules treat every account but the
// event's own as outside (as with nothing set). The zero value trusts no other account.
type TrustedAccounts struct {
	accounts map[string]bool
	// Org is the organization ID (o-xxxxxxxxxx) when one was given; kept for the record.
	Org string
}

var (
	accountIDPattern = regexp.MustCompile(`^\d{12}$`)
	orgIDPattern     = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
)

// ParseTrustedAccounts reads TRUSTED_ACCOUNTS' entries: 12-digit account IDs and at most one
// organization ID (o-xxxxxxxxxx). Blank entries are ignored; anything else is an error naming
// the entry.
func ParseTrustedAccounts(entries []string) (TrustedAccounts, error) {
	t := TrustedAccounts{accounts: map[string]bool{}}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		switch {
		case e == "":
		case accountIDPattern.MatchString(e):
			t.accounts[e] = true
		case orgIDPattern.MatchString(e):
			if t.Org != "" && t.Org != e {
				return TrustedAccounts{}, fmt.Errorf("two organization IDs (%s, %s): a deployment watches one organization", t.Org, e)
			}
			t.Org = e
		default:
			return TrustedAccounts{}, fmt.Errorf("%q is neither a 12-digit AWS account ID nor an organization ID (o-xxxxxxxxxx)", e)
		}
	}
	return t, nil
}

// Len is the number of trusted accounts listed.
func (t TrustedAccounts) Len() int { return len(t.accounts) }

// External reports whether account (a 12-digit ID, or an ARN naming one) is outside the
// organization for an event delivered for own: not own, and not listed when accounts are
// listed. What names no account ("*", "all", "", a service principal) is not external: the
// rules that care about "everyone" test for it themselves.
func (t TrustedAccounts) External(account, own string) bool {
	id := accountOf(account)
	if id == "" || id == own {
		return false
	}
	if len(t.accounts) == 0 {
		return true
	}
	return !t.accounts[id]
}

// accountOf is the account ID s names: s itself when it is 12 digits, the account field of an
// ARN (arn:aws:iam::123456789012:root), else "".
func accountOf(s string) string {
	s = strings.TrimSpace(s)
	if accountIDPattern.MatchString(s) {
		return s
	}
	if parts := strings.SplitN(s, ":", 6); len(parts) == 6 && parts[0] == "arn" && accountIDPattern.MatchString(parts[4]) {
		return parts[4]
	}
	return ""
}

// externalAccountFunction is the CEL function externalAccount(event, account): true when
// account names an AWS account outside the organization (TrustedAccounts.External, the event's
// own account being recipientAccountId, else userIdentity.accountId). The trusted set is bound
// when the rules compile, so it is fixed for the engine's life.
func externalAccountFunction(eventType *types.Type, trusted TrustedAccounts) cel.EnvOption {
	return cel.Function("externalAccount",
		cel.Overload("externalAccount_event_dyn", []*cel.Type{eventType, cel.DynType}, cel.BoolType,
			cel.BinaryBinding(func(ev, account ref.Val) ref.Val {
				e, ok := ev.Value().(*eventValue)
				if !ok || e == nil || e.rec == nil {
					return types.NewErr("externalAccount: the first argument must be event")
				}
				s, ok := account.(types.String)
				if !ok {
					return types.False // a number, a list, null: names no account
				}
				return types.Bool(trusted.External(string(s), e.rec.Account()))
			})))
}
