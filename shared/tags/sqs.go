package tags

import (
	"net/url"
	"strings"
)

// extractSQS reads the queue from its URL (requestParameters.queueUrl, CreateQueue's
// responseElements.queueUrl: https://sqs.REGION.amazonaws.com/ACCOUNT/NAME), or from
// CreateQueue's queueName when the call failed. CreateQueue's tags (a map) are request tags.
func extractSQS(x *extraction) {
	for _, u := range []string{str(x.req, "queueUrl"), str(x.resp, "queueUrl")} {
		if account, name, ok := queueFromURL(u); ok {
			a := x.arn("sqs", name)
			a.Account = account
			x.addARN(a, "", account, nil)
		}
	}
	if x.rec.EventName == "CreateQueue" {
		if len(x.out) == 0 {
			x.addID("sqs", "", str(x.req, "queueName"), nil)
		}
		x.createTags = requestTags(x.req)
	}
}

// queueFromURL splits a queue URL's path into the owning account and the queue name.
func queueFromURL(s string) (account, name string, ok bool) {
	if s == "" {
		return "", "", false
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", "", false
	}
	account, name, ok = strings.Cut(strings.Trim(u.Path, "/"), "/")
	return account, name, ok && account != "" && name != "" && !strings.Contains(name, "/")
}
