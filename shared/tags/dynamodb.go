package tags

// extractDynamoDB reads the table: responseElements.tableDescription.tableArn, else
// requestParameters.tableName (a name or an ARN) → table/NAME, and the resourceArn of the tag
// calls. CreateTable's tags are request tags.
func extractDynamoDB(x *extraction) {
	if a := str(x.resp, "tableDescription", "tableArn"); a != "" {
		x.addARNString(a)
	} else {
		x.addID("dynamodb", "table/", str(x.req, "tableName"), nil)
	}
	x.addARNString(str(x.req, "resourceArn"))
	if x.rec.EventName == "CreateTable" {
		x.createTags = requestTags(x.req)
	}
}
