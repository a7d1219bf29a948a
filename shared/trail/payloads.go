package trail

// PayloadNames are the JSON keys of the Record's service-specific payloads, the members it
// keeps as raw JSON (RequestParameters, ResponseElements, AdditionalEventData,
// ServiceEventDetails, Addendum, EdgeDeviceDetails, InsightDetails, in that order). They are
// listed once, here, because two passes must agree on them: the log-file parser
// (counters.Parser) notes where each payload's value lies while it validates a record, and
// the rules (shared/rules) decode the payload paths they read from those spans; a name added
// to one and not the other would leave a payload unread.
var PayloadNames = [...]string{
	"requestParameters", "responseElements", "additionalEventData", "serviceEventDetails",
	"addendum", "edgeDeviceDetails", "insightDetails",
}
