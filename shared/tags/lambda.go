package tags

import "strings"

// extractLambda reads the function: responseElements.functionArn, else
// requestParameters.functionName (a name, a partial ARN ACCOUNT:function:NAME or a full ARN,
// any of them with a :QUALIFIER), and the resource ARN of the tag calls. Versions and
// aliases share their function's tags, so the ARN is the unqualified function's.
// CreateFunction's tags (a map) are request tags.
func extractLambda(x *extraction) {
	fn := str(x.resp, "functionArn")
	if fn == "" {
		fn = str(x.req, "functionName")
	}
	if fn == "" {
		fn = str(x.req, "resource")
	}
	if fn != "" {
		a := x.arn("lambda", "")
		if parsed, ok := ParseARN(fn); ok {
			a = parsed
			fn = strings.TrimPrefix(a.Resource, "function:")
		} else if account, name, ok := strings.Cut(fn, ":function:"); ok {
			a.Account, fn = account, name
		}
		name, _, _ := strings.Cut(fn, ":")
		if a.Service == "lambda" && name != "" {
			a.Resource = "function:" + name
			x.addARN(a, "", a.Account, nil)
		}
	}
	if strings.HasPrefix(x.rec.EventName, "CreateFunction") {
		x.createTags = requestTags(x.req)
	}
}
