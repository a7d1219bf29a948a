package tags

// extractS3 reads the bucket of a bucket-level call (requestParameters.bucketName; object
// calls list their objects in resources[]). CreateBucket's tags and PutBucketTagging's
// Tagging.TagSet.Tag[] (a whole new tag set) are request tags.
func extractS3(x *extraction) {
	if b := str(x.req, "bucketName"); b != "" {
		x.addARN(ARN{Partition: x.partition, Service: "s3", Resource: b}, "", "", nil)
	}
	switch x.rec.EventName {
	case "CreateBucket", "PutBucketTagging":
		x.createTags = requestTags(x.req)
	}
}
