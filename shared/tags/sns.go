package tags

// extractSNS reads the topic: requestParameters.topicArn, CreateTopic's
// responseElements.topicArn (or, when it failed, the ARN its name would have had), and the
// resourceArn of the tag calls. CreateTopic's tags are request tags.
func extractSNS(x *extraction) {
	x.addARNString(str(x.req, "topicArn"))
	x.addARNString(str(x.resp, "topicArn"))
	x.addARNString(str(x.req, "resourceArn"))
	if x.rec.EventName == "CreateTopic" {
		if len(x.out) == 0 {
			x.addID("sns", "", str(x.req, "name"), nil)
		}
		x.createTags = requestTags(x.req)
	}
}
