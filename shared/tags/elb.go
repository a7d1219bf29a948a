package tags

// extractELB reads load balancers: Application/Network/Gateway ones by ARN
// (responseElements.loadBalancers[].loadBalancerArn, requestParameters.loadBalancerArn, the
// resourceArns of AddTags/RemoveTags), Classic ones by name (loadBalancerName, the
// loadBalancerNames of their AddTags/RemoveTags) → loadbalancer/NAME.
func extractELB(x *extraction) {
	for _, a := range field(x.resp["loadBalancers"], "loadBalancerArn") {
		x.addARNString(a)
	}
	x.addARNString(str(x.req, "loadBalancerArn"))
	for _, a := range stringList(x.req["resourceArns"]) {
		x.addARNString(a)
	}
	x.addID("elasticloadbalancing", "loadbalancer/", str(x.req, "loadBalancerName"), nil)
	for _, n := range stringList(x.req["loadBalancerNames"]) {
		x.addID("elasticloadbalancing", "loadbalancer/", n, nil)
	}
	if x.rec.EventName == "CreateLoadBalancer" {
		x.createTags = requestTags(x.req)
	}
}
