package templatecheck

// Resources returns the template's resources of type typ (such as
// "AWS::DynamoDB::Table"), keyed by logical ID, so a test can build a local
// resource from the definition the stack deploys. Each value is the whole
// resource entry: Type, Properties, Condition, Metadata…
func Resources(tpl map[string]any, typ string) map[string]map[string]any {
	found := map[string]map[string]any{}
	all, _ := tpl["Resources"].(map[string]any)
	for id, v := range all {
		res, ok := v.(map[string]any)
		if ok && res["Type"] == typ {
			found[id] = res
		}
	}
	return found
}
