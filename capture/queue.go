package capture

// queue is a slice that grows at the back and shrinks at the front. Popping
// is O(1); the dead prefix is reclaimed by moving the live items down once
// it is at least as long as they are, so each item is moved O(1) times on
// average.
type queue[T any] struct {
	items []T
	head  int
}

// len returns the number of items in the queue.
func (q *queue[T]) len() int { return len(q.items) - q.head }

// at returns the i-th item from the front.
func (q *queue[T]) at(i int) *T { return &q.items[q.head+i] }

// last returns the item at the back; the queue must not be empty.
func (q *queue[T]) last() *T { return &q.items[len(q.items)-1] }

// push adds v at the back.
func (q *queue[T]) push(v T) { q.items = append(q.items, v) }

// pop removes the front item.
func (q *queue[T]) pop() {
	var zero T
	q.items[q.head] = zero // release what it refers to (a peer string)
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
		return
	}
	if q.head >= 64 && q.head >= q.len() {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
}
