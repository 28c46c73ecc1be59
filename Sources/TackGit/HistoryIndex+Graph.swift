extension HistoryIndex {
  /// The commit graph of an index: each position's committer time and parents.
  struct Graph {
    let times: [Int64]
    /// The parents of commit `i` are `parents[starts[i]..<starts[i + 1]]`.
    let starts: [Int32]
    let parents: [Int32]

    func parents(of position: Int32) -> ArraySlice<Int32> {
      parents[Int(starts[Int(position)])..<Int(starts[Int(position) + 1])]
    }

    /// The positions in the order a topological + time revwalk from `tip` returns them, as
    /// libgit2 1.5 does it (`sort_in_topological_order` with its binary heap on commit time),
    /// so that ties and clock skew come out the same. With `wanted`, only those are returned
    /// and the replay stops when all of them (or `limit`) have come.
    func walkOrder(from tip: Int32, wanted: [Int32]? = nil, limit: Int? = nil) -> [Int32] {
      starts.withUnsafeBufferPointer { starts in
        parents.withUnsafeBufferPointer { parents in
          times.withUnsafeBufferPointer { times in
            Self.walkOrder(
              from: tip, starts: starts, parents: parents, times: times, wanted: wanted,
              limit: limit)
          }
        }
      }
    }

    private static func walkOrder(
      from tip: Int32, starts: UnsafeBufferPointer<Int32>, parents: UnsafeBufferPointer<Int32>,
      times: UnsafeBufferPointer<Int64>, wanted: [Int32]?, limit: Int?
    ) -> [Int32] {
      let count = times.count
      // In-degree as libgit2 counts it: 1 for every commit in the walk, plus one per parent
      // slot of every commit in the walk that names it; 0 for commits not reachable.
      var inDegreeStorage = [UInt32](repeating: 0, count: count)
      return inDegreeStorage.withUnsafeMutableBufferPointer { inDegree in
        var stack: [Int32] = [tip]
        inDegree[Int(tip)] = 1
        while let next = stack.popLast() {
          for slot in Int(starts[Int(next)])..<Int(starts[Int(next) + 1]) {
            let parent = Int(parents[slot])
            if inDegree[parent] == 0 {
              inDegree[parent] = 1
              stack.append(Int32(parent))
            }
            inDegree[parent] += 1
          }
        }
        var isWanted: [Bool] = []
        var remaining = count
        if let wanted {
          isWanted = [Bool](repeating: false, count: count)
          remaining = 0
          for position in wanted where inDegree[Int(position)] != 0 && !isWanted[Int(position)] {
            isWanted[Int(position)] = true
            remaining += 1
          }
        }
        if let limit { remaining = min(remaining, max(limit, 1)) }

        var order: [Int32] = []
        var heap = Heap(times: times)
        heap.insert(tip)
        while remaining > 0, let next = heap.pop() {
          for slot in Int(starts[Int(next)])..<Int(starts[Int(next) + 1]) {
            let parent = Int(parents[slot])
            guard inDegree[parent] != 0 else { continue }
            inDegree[parent] -= 1
            if inDegree[parent] == 1 { heap.insert(Int32(parent)) }
          }
          inDegree[Int(next)] = 0
          if isWanted.isEmpty || isWanted[Int(next)] {
            order.append(next)
            remaining -= 1
          }
        }
        return order
      }
    }

    /// libgit2's `git_pqueue` with `git_commit_list_time_cmp`: a binary heap, newest commit
    /// first. Copied step for step, because the order of equal times depends on it.
    private struct Heap {
      let times: UnsafeBufferPointer<Int64>
      var items: [Int32] = []

      init(times: UnsafeBufferPointer<Int64>) { self.times = times }

      /// `git_commit_list_time_cmp`: > 0 when `a` is older than `b`.
      private func compare(_ a: Int32, _ b: Int32) -> Int {
        let timeA = times[Int(a)]
        let timeB = times[Int(b)]
        return timeA < timeB ? 1 : timeA > timeB ? -1 : 0
      }

      mutating func insert(_ item: Int32) {
        items.append(item)
        var index = items.count - 1
        while index > 0 {
          let parentIndex = (index - 1) >> 1
          let parent = items[parentIndex]
          if compare(parent, item) <= 0 { break }
          items[index] = parent
          index = parentIndex
        }
        items[index] = item
      }

      mutating func pop() -> Int32? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
          items[0] = last
          siftDown()
        }
        return top
      }

      private mutating func siftDown() {
        let item = items[0]
        var index = 0
        while true {
          var kidIndex = 2 * index + 1
          guard kidIndex < items.count else { break }
          var kid = items[kidIndex]
          if kidIndex + 1 < items.count, compare(kid, items[kidIndex + 1]) > 0 {
            kidIndex += 1
            kid = items[kidIndex]
          }
          if compare(item, kid) <= 0 { break }
          items[index] = kid
          index = kidIndex
        }
        items[index] = item
      }
    }
  }
}
