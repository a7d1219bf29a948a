package alert

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// SNSAPI is the part of the SNS client the publisher uses.
type SNSAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
	PublishBatch(ctx context.Context, in *sns.PublishBatchInput, opts ...func(*sns.Options)) (*sns.PublishBatchOutput, error)
}

// MaxBatch is the most entries SNS takes in one PublishBatch.
const MaxBatch = 10

// SNS publishes alerts to one topic with MessageStructure=json, one alert with Publish and
// several with PublishBatch. Whole-request failures (throttling, 5xx) are retried by the SDK's
// retryer; entries a batch reports as failed are re-sent, alone, up to EntryAttempts times.
type SNS struct {
	Client        SNSAPI
	TopicARN      string
	EntryAttempts int           // tries per failed batch entry; 0 means 3
	Backoff       time.Duration // wait before re-sending failed entries, doubled each time; 0 means 200ms
}

// Publish implements Publisher.
func (p *SNS) Publish(ctx context.Context, alerts []Alert) error {
	if len(alerts) == 1 {
		m := Render(alerts[0])
		_, err := p.Client.Publish(ctx, &sns.PublishInput{
			TopicArn:          aws.String(p.TopicARN),
			Message:           aws.String(m.SNSJSON()),
			MessageStructure:  aws.String("json"),
			Subject:           aws.String(m.Subject),
			MessageAttributes: attributes(m),
		})
		if err != nil {
			return fmt.Errorf("sns publish %s to %s: %w", alerts[0].Kind, p.TopicARN, err)
		}
		return nil
	}
	failed := map[int]error{}
	for _, r := range batches(alerts) {
		for i, err := range p.batch(ctx, alerts, r[0], r[1]) {
			failed[i] = err
		}
	}
	if len(failed) > 0 {
		return &PartialError{Failed: failed}
	}
	return nil
}

// batches splits alerts into runs [start, end) of at most MaxBatch alerts whose messages
// together stay within MaxMessageBytes, the limit SNS puts on one PublishBatch.
func batches(alerts []Alert) [][2]int {
	var out [][2]int
	start, size := 0, 0
	for i := range alerts {
		n := Render(alerts[i]).Size()
		if i > start && (i-start == MaxBatch || size+n > MaxMessageBytes) {
			out = append(out, [2]int{start, i})
			start, size = i, 0
		}
		size += n
	}
	if start < len(alerts) {
		out = append(out, [2]int{start, len(alerts)})
	}
	return out
}

// batch sends alerts[start:end] and re-sends only the entries that failed, returning the
// entries that still failed by index.
func (p *SNS) batch(ctx context.Context, alerts []Alert, start, end int) map[int]error {
	pending := make([]int, 0, end-start)
	for i := start; i < end; i++ {
		pending = append(pending, i)
	}
	attempts, wait := p.EntryAttempts, p.Backoff
	if attempts <= 0 {
		attempts = 3
	}
	if wait <= 0 {
		wait = 200 * time.Millisecond
	}
	failed := map[int]error{}
	for attempt := 1; len(pending) > 0; attempt++ {
		entries := make([]types.PublishBatchRequestEntry, 0, len(pending))
		for _, i := range pending {
			m := Render(alerts[i])
			entries = append(entries, types.PublishBatchRequestEntry{
				Id:                aws.String(strconv.Itoa(i)),
				Message:           aws.String(m.SNSJSON()),
				MessageStructure:  aws.String("json"),
				Subject:           aws.String(m.Subject),
				MessageAttributes: attributes(m),
			})
		}
		out, err := p.Client.PublishBatch(ctx, &sns.PublishBatchInput{
			TopicArn:                   aws.String(p.TopicARN),
			PublishBatchRequestEntries: entries,
		})
		if err != nil {
			for _, i := range pending {
				failed[i] = fmt.Errorf("sns publish batch to %s: %w", p.TopicARN, err)
			}
			return failed
		}
		var retry []int
		for _, f := range out.Failed {
			i, convErr := strconv.Atoi(aws.ToString(f.Id))
			if convErr != nil || i < start || i >= end {
				continue
			}
			err := fmt.Errorf("sns publish batch entry %s: %s: %s", alerts[i].Kind, aws.ToString(f.Code), aws.ToString(f.Message))
			if f.SenderFault || attempt >= attempts {
				failed[i] = err
				continue
			}
			retry = append(retry, i)
		}
		pending = retry
		if len(pending) > 0 {
			if err := sleep(ctx, wait); err != nil {
				for _, i := range pending {
					failed[i] = err
				}
				return failed
			}
			wait *= 2
		}
	}
	return failed
}

func attributes(m Message) map[string]types.MessageAttributeValue {
	out := make(map[string]types.MessageAttributeValue, len(m.Attributes))
	for k, v := range m.Attributes {
		if v == "" {
			continue // SNS rejects empty attribute values
		}
		out[k] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	return out
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return errors.Join(errors.New("gave up re-sending failed entries"), ctx.Err())
	case <-t.C:
		return nil
	}
}
