package templatecheck

// samEventRules are the function event types SAM turns into an
// AWS::Events::Rule named <function><event>.
var samEventRules = map[string]bool{"EventBridgeRule": true, "Schedule": true, "CloudWatchEvent": true}

// samGenerated returns the CloudFormation resources SAM generates that a
// template may refer to by logical ID (SAM developer guide, "Generated
// CloudFormation resources"), with their types.
func samGenerated(tpl map[string]any) map[string]string {
	gen := map[string]string{}
	for id, fn := range Resources(tpl, "AWS::Serverless::Function") {
		props, _ := fn["Properties"].(map[string]any)
		if _, ok := props["Role"]; !ok {
			gen[id+"Role"] = "AWS::IAM::Role"
		}
		events, _ := props["Events"].(map[string]any)
		for eventID, e := range events {
			event, ok := e.(map[string]any)
			switch {
			case ok && samEventRules[str(event["Type"])]:
				gen[id+eventID] = "AWS::Events::Rule"
			case ok && str(event["Type"]) == "ScheduleV2":
				// An EventBridge Scheduler schedule, and its role unless RoleArn names one.
				gen[id+eventID] = "AWS::Scheduler::Schedule"
				if p, _ := event["Properties"].(map[string]any); p["RoleArn"] == nil {
					gen[id+eventID+"Role"] = "AWS::IAM::Role"
				}
			}
		}
	}
	return gen
}

// str is v when it is a string, else "".
func str(v any) string {
	s, _ := v.(string)
	return s
}
