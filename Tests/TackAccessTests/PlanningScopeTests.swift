import TackAccess
import TackCore
import Testing

/// Dependencies follow the scoping rules of reading: a blocker out of scope is "no task"
/// (never an oracle), and one that someone else made counts as open for whoever cannot see it.
@Suite struct PlanningScopeTests {
  @Test func aBlockerOutOfScopeIsNoTaskExactlyLikeAMissingOne() throws {
    let fixture = try ScopeFixture()
    let deployer = try fixture.access("deployer")
    let before = fixture.tip
    var messages: [String] = []
    for blocker in [fixture.secretTask, "task_01ZZZZZZZZZZZZZZZZZZZZZZZZ"] {
      do {
        _ = try deployer.plan(fixture.deployTask, .init(addBlockers: [blocker]))
        Issue.record("a dependency on \(blocker) was accepted")
      } catch {
        messages.append("\(error)".replacingOccurrences(of: blocker, with: "ID"))
        #expect(error.exitCode == TackError.taskNotFound("").exitCode)
      }
    }
    #expect(messages.count == 2 && messages[0] == messages[1], "\(messages)")
    #expect(fixture.tip == before)
  }

  @Test func aBlockerYouCannotSeeCountsAsOpen() throws {
    let fixture = try ScopeFixture()
    let admin = try fixture.access(nil)
    // The admin makes the deploy task wait for the secret one, which the deployer cannot see.
    _ = try admin.plan(fixture.deployTask, .init(addBlockers: [fixture.secretTask]))
    let deployer = try fixture.access("deployer")
    #expect(try deployer.ready().isEmpty)
    let (_, blockers, _) = try deployer.dependencies(fixture.deployTask)
    #expect(blockers.count == 1 && blockers[0].task == nil && blockers[0].isOpen)
    #expect(try deployer.claimNext() == nil)
    // Finished, the blocker no longer holds it, seen or not.
    _ = try admin.transition(fixture.secretTask, to: "working")
    _ = try admin.transition(fixture.secretTask, to: "completed")
    #expect(try admin.ready(TaskFilter(board: "ops")).map(\.summary.title) == ["deploy v2"])
    // The deployer still cannot tell: the blocker is out of its scope.
    #expect(try deployer.ready().isEmpty)
  }
}
