package tags

import "strings"

// ec2Kinds maps an EC2 resource ID's prefix ("i-0abc" → "i") to the resource type of its ARN,
// which is also the resourceType of the tag specification that tags it.
var ec2Kinds = map[string]string{"i": "instance", "vol": "volume", "sg": "security-group", "vpc": "vpc"}

// extractEC2 reads instances (RunInstances' responseElements.instancesSet.items[].instanceId,
// the instancesSet or instanceId of the calls on existing ones), volumes (volumeId), security
// groups (groupId), the resources of CreateTags/DeleteTags (resourcesSet.items[].resourceId),
// and VPCs (CreateVpc's vpc.vpcId, a request's vpcId) when nothing more specific was touched:
// CreateSecurityGroup names its VPC but changes only the group. Request tags come from
// tagSpecificationSet.items[], per resourceType.
func extractEC2(x *extraction) {
	specs := map[string]Tags{}
	for _, e := range list(x.req["tagSpecificationSet"]) {
		o, ok := e.(map[string]any)
		if !ok {
			continue
		}
		kind, _ := o["resourceType"].(string)
		if t, ok := parseTags(o["tags"]); ok && kind != "" {
			specs[kind] = t
			if x.fallbackTags == nil {
				x.fallbackTags = Tags{}
			}
			for k, v := range t {
				x.fallbackTags[k] = v
			}
		}
	}
	add := func(kind, id string) {
		if id != "" {
			x.addARN(x.arn("ec2", kind+"/"+id), "", "", specs[kind])
		}
	}
	for _, id := range field(x.resp["instancesSet"], "instanceId") {
		add("instance", id)
	}
	for _, id := range field(x.req["instancesSet"], "instanceId") {
		add("instance", id)
	}
	add("instance", str(x.req, "instanceId"))
	add("volume", str(x.resp, "volumeId"))
	add("volume", str(x.req, "volumeId"))
	add("security-group", str(x.resp, "groupId"))
	add("security-group", str(x.req, "groupId"))
	for _, id := range field(x.req["resourcesSet"], "resourceId") {
		if prefix, _, ok := strings.Cut(id, "-"); ok && ec2Kinds[prefix] != "" {
			add(ec2Kinds[prefix], id)
		}
	}
	if len(x.out) == 0 {
		add("vpc", str(x.resp, "vpc", "vpcId"))
		add("vpc", str(x.req, "vpcId"))
	}
}
