package tags

// extractIAM reads the user (CreateUser's responseElements.user.arn, else
// requestParameters.userName → user/NAME) and the role (CreateRole's role.arn, else roleName →
// role/NAME). IAM ARNs have no region. A name without its ARN loses the user's or role's path,
// which IAM's tag calls do not need. CreateUser's and CreateRole's tags are request tags.
func extractIAM(x *extraction) {
	for _, kind := range []string{"user", "role"} {
		if a := str(x.resp, kind, "arn"); a != "" {
			x.addARNString(a)
		} else if name := str(x.req, kind+"Name"); name != "" {
			x.addARN(ARN{Partition: x.partition, Service: "iam", Account: x.account, Resource: kind + "/" + name}, "", "", nil)
		}
	}
	switch x.rec.EventName {
	case "CreateUser", "CreateRole":
		x.createTags = requestTags(x.req)
	}
}
