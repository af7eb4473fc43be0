package presentation

import "slices"

// blockCap is the most elements one block of a sortedList holds.
const blockCap = 32

// keyed is what a sortedList holds: elements in strictly increasing key order.
type keyed interface{ key() uint64 }

// sortedList is an ordered sequence stored as a list of small blocks.
// Finding an element is two binary searches (O(log n)) over keys kept
// apart from the elements: one over the last key of every block, one over
// a block's keys. They read a few contiguous cache lines instead of one
// element (and one block) per step: with thousands of 1 KiB pieces out of
// order, a cache miss per step was a sixth of the time. Inserting or
// removing an element moves at most blockCap/2 elements (toward whichever
// end of its block is nearer), plus the block headers when a block splits
// or empties. Removing the first element, which every read does, moves
// nothing. A plain sorted slice would move half the elements on every
// insert, which dominates when thousands of pieces are out of order.
//
// An element's key is copied when it is inserted: whoever changes the key
// of an element in place says so with rekey.
type sortedList[T keyed] struct {
	blocks []*block[T]
	lasts  []uint64 // lasts[i]: the key of the last element of blocks[i]
	n      int
	spare  []*block[T] // emptied blocks kept for reuse, so steady state does not allocate
}

// block holds the elements a[lo:hi] of a sortedList and their keys.
type block[T keyed] struct {
	lo, hi int
	keys   [blockCap]uint64
	a      [blockCap]T
}

func (b *block[T]) len() int        { return b.hi - b.lo }
func (b *block[T]) at(i int) *T     { return &b.a[b.lo+i] }
func (b *block[T]) last() *T        { return &b.a[b.hi-1] }
func (b *block[T]) lastKey() uint64 { return b.keys[b.hi-1] }
func (b *block[T]) elems() []T      { return b.a[b.lo:b.hi] }
func (b *block[T]) full() bool      { return b.len() == blockCap }
func (b *block[T]) reset()          { clear(b.a[b.lo:b.hi]); b.lo, b.hi = 0, 0 }
func (b *block[T]) clearAt(i int)   { var zero T; b.a[i] = zero }

// insert puts v at logical position i, shifting the shorter side. The
// block must not be full.
func (b *block[T]) insert(i int, v T) {
	at := b.lo + i
	switch {
	case b.hi < blockCap && (i >= b.len()/2 || b.lo == 0):
		copy(b.a[at+1:b.hi+1], b.a[at:b.hi])
		copy(b.keys[at+1:b.hi+1], b.keys[at:b.hi])
		b.hi++
	default: // room at the front
		copy(b.a[b.lo-1:at-1], b.a[b.lo:at])
		copy(b.keys[b.lo-1:at-1], b.keys[b.lo:at])
		b.lo--
		at--
	}
	b.a[at], b.keys[at] = v, v.key()
}

// remove deletes the element at logical position i, shifting the shorter side.
func (b *block[T]) remove(i int) {
	at := b.lo + i
	if i < b.len()/2 {
		copy(b.a[b.lo+1:at+1], b.a[b.lo:at])
		copy(b.keys[b.lo+1:at+1], b.keys[b.lo:at])
		b.clearAt(b.lo)
		b.lo++
		return
	}
	copy(b.a[at:b.hi-1], b.a[at+1:b.hi])
	copy(b.keys[at:b.hi-1], b.keys[at+1:b.hi])
	b.hi--
	b.clearAt(b.hi)
}

// cursor addresses one element of a sortedList, or its end when b equals
// the number of blocks.
type cursor struct{ b, i int }

func (l *sortedList[T]) len() int { return l.n }

func (l *sortedList[T]) valid(c cursor) bool { return c.b < len(l.blocks) }

func (l *sortedList[T]) at(c cursor) *T { return l.blocks[c.b].at(c.i) }

func (l *sortedList[T]) next(c cursor) cursor {
	c.i++
	if c.i == l.blocks[c.b].len() {
		return cursor{c.b + 1, 0}
	}
	return c
}

// prev returns the cursor of the element before c, if there is one.
func (l *sortedList[T]) prev(c cursor) (cursor, bool) {
	switch {
	case c.i > 0:
		return cursor{c.b, c.i - 1}, true
	case c.b > 0:
		return cursor{c.b - 1, l.blocks[c.b-1].len() - 1}, true
	}
	return c, false
}

// first returns the smallest element, or nil.
func (l *sortedList[T]) first() *T {
	if l.n == 0 {
		return nil
	}
	return l.blocks[0].at(0)
}

// last returns the largest element, or nil.
func (l *sortedList[T]) last() *T {
	if l.n == 0 {
		return nil
	}
	return l.blocks[len(l.blocks)-1].last()
}

// seek returns the cursor of the first element whose key is at least x,
// or the end.
func (l *sortedList[T]) seek(x uint64) cursor {
	b, _ := slices.BinarySearch(l.lasts, x)
	if b == len(l.blocks) {
		return cursor{b, 0}
	}
	blk := l.blocks[b]
	i, _ := slices.BinarySearch(blk.keys[blk.lo:blk.hi], x)
	return cursor{b, i}
}

// rekey takes up the new key of the element at c, which its holder
// changed in place; the order must still hold.
func (l *sortedList[T]) rekey(c cursor) {
	blk := l.blocks[c.b]
	blk.keys[blk.lo+c.i] = (*blk.at(c.i)).key()
	l.lasts[c.b] = blk.lastKey()
}

// insert puts v before the element at c (at the end if c is the end) and
// returns v's cursor. The caller keeps the order.
func (l *sortedList[T]) insert(c cursor, v T) cursor {
	l.n++
	if len(l.blocks) == 0 {
		blk := l.newBlock()
		blk.insert(0, v)
		l.blocks = append(l.blocks, blk)
		l.lasts = append(l.lasts, blk.lastKey())
		return cursor{}
	}
	if c.b == len(l.blocks) {
		c = cursor{c.b - 1, l.blocks[c.b-1].len()}
	}
	if blk := l.blocks[c.b]; blk.full() {
		// Split in halves and insert into the half that holds position c.i.
		half := blockCap / 2
		right := l.newBlock()
		right.hi = copy(right.a[:], blk.a[half:])
		copy(right.keys[:], blk.keys[half:])
		clear(blk.a[half:])
		blk.hi = half
		l.blocks = slices.Insert(l.blocks, c.b+1, right)
		l.lasts = slices.Insert(l.lasts, c.b, blk.lastKey())
		if c.i > half {
			c = cursor{c.b + 1, c.i - half}
		}
	}
	blk := l.blocks[c.b]
	blk.insert(c.i, v)
	l.lasts[c.b] = blk.lastKey()
	return c
}

// remove deletes the element at c and returns the cursor of the element
// that followed it.
func (l *sortedList[T]) remove(c cursor) cursor {
	l.n--
	blk := l.blocks[c.b]
	blk.remove(c.i)
	if blk.len() == 0 {
		blk.lo, blk.hi = 0, 0
		l.spare = append(l.spare, blk)
		l.blocks = slices.Delete(l.blocks, c.b, c.b+1)
		l.lasts = slices.Delete(l.lasts, c.b, c.b+1)
		return cursor{c.b, 0}
	}
	l.lasts[c.b] = blk.lastKey()
	if c.i == blk.len() {
		return cursor{c.b + 1, 0}
	}
	return c
}

// popFront removes the smallest element without moving any other.
func (l *sortedList[T]) popFront() { l.remove(cursor{}) }

// reset empties the list, calling release on every element first.
func (l *sortedList[T]) reset(release func(*T)) {
	for _, blk := range l.blocks {
		if release != nil {
			for i := range blk.elems() {
				release(blk.at(i))
			}
		}
		blk.reset()
	}
	l.blocks, l.lasts, l.spare, l.n = nil, nil, nil, 0
}

// all calls f on every element in order until it returns false.
func (l *sortedList[T]) all(f func(*T) bool) {
	for _, blk := range l.blocks {
		for i := range blk.elems() {
			if !f(blk.at(i)) {
				return
			}
		}
	}
}

func (l *sortedList[T]) newBlock() *block[T] {
	if k := len(l.spare); k > 0 {
		b := l.spare[k-1]
		l.spare = l.spare[:k-1]
		return b
	}
	return new(block[T])
}
