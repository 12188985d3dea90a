package testenv

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Admin asks a cluster about groups, leaders and producers, for tests that check what the
// brokers see. Close releases its connections.
type Admin struct {
	cl  *kgo.Client
	adm *kadm.Client
}

// NewAdmin connects to brokers (plaintext, no SASL).
func NewAdmin(brokers []string) (*Admin, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return nil, fmt.Errorf("admin client: %w", err)
	}
	return &Admin{cl: cl, adm: kadm.NewClient(cl)}, nil
}

// Close closes the client.
func (a *Admin) Close() { a.cl.Close() }

// GroupState is what the group coordinator says about a group at one moment.
type GroupState struct {
	Stable   bool     // the classic group is Stable, or the consumer group is Stable and reconciled
	Members  []string // member IDs
	Assigned int      // distinct partitions assigned to some member
}

// Group describes group, which uses the classic protocol unless consumer is set (KIP-848).
func (a *Admin) Group(ctx context.Context, group string, consumer bool) (GroupState, error) {
	assigned := map[string]map[int32]bool{}
	add := func(topic string, ps []int32) {
		if assigned[topic] == nil {
			assigned[topic] = map[int32]bool{}
		}
		for _, p := range ps {
			assigned[topic][p] = true
		}
	}
	var st GroupState
	if consumer {
		described, err := a.adm.DescribeConsumerGroups(ctx, group)
		if err != nil {
			return st, err
		}
		d, ok := described[group]
		if !ok {
			return st, errors.New("group not described")
		}
		if d.Err != nil {
			return st, d.Err
		}
		st.Stable = d.State == "Stable" && d.Epoch == d.AssignmentEpoch
		for _, m := range d.Members {
			st.Members = append(st.Members, m.MemberID)
			if m.MemberEpoch != d.Epoch {
				st.Stable = false
			}
			for topic, ps := range m.Assignment {
				for p := range ps {
					add(topic, []int32{p})
				}
			}
		}
	} else {
		described, err := a.adm.DescribeGroups(ctx, group)
		if err != nil {
			return st, err
		}
		d, ok := described[group]
		if !ok {
			return st, errors.New("group not described")
		}
		if d.Err != nil {
			return st, d.Err
		}
		st.Stable = d.State == "Stable"
		for _, m := range d.Members {
			st.Members = append(st.Members, m.MemberID)
			if c, ok := m.Assigned.AsConsumer(); ok {
				for _, t := range c.Topics {
					add(t.Topic, t.Partitions)
				}
			}
		}
	}
	for _, ps := range assigned {
		st.Assigned += len(ps)
	}
	return st, nil
}

// BusiestLeader is the broker that leads the most partitions of topics.
func (a *Admin) BusiestLeader(ctx context.Context, topics ...string) (id int32, led int, err error) {
	details, err := a.adm.ListTopics(ctx, topics...)
	if err != nil {
		return 0, 0, fmt.Errorf("list topics: %w", err)
	}
	count := map[int32]int{}
	for _, d := range details {
		if d.Err != nil {
			return 0, 0, fmt.Errorf("topic %s: %w", d.Topic, d.Err)
		}
		for _, p := range d.Partitions {
			count[p.Leader]++
		}
	}
	id = -1
	for b, n := range count {
		if n > led || n == led && b < id {
			id, led = b, n
		}
	}
	return id, led, nil
}

// Producers counts the distinct producer IDs the partition leaders of topic keep state for,
// which only idempotent or transactional producers have.
func (a *Admin) Producers(ctx context.Context, topic string) (int, error) {
	described, err := a.adm.DescribeProducers(ctx, kadm.TopicsSet{topic: nil})
	if err != nil {
		return 0, fmt.Errorf("describe producers: %w", err)
	}
	ids := map[int64]bool{}
	var firstErr error
	described.EachPartition(func(p kadm.DescribedProducersPartition) {
		if p.Err != nil && firstErr == nil {
			firstErr = p.Err
		}
		for _, pr := range p.ActiveProducers {
			ids[pr.ProducerID] = true
		}
	})
	return len(ids), firstErr
}
