#pragma once

#include <grpcpp/completion_queue.h>
#include <grpcpp/server_builder.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace kam {

// What to do when the operation this tag was given to completes; ServingQueues' threads run
// it (`ok` as the queue reports it: false when the operation failed or the call ended).
class QueueTag {
 public:
  virtual void OnCompleted(bool ok) = 0;

 protected:
  ~QueueTag() = default;
};

// The void* a queue operation takes for `tag`; RunQueue turns it back into the QueueTag*.
inline void* AsTag(QueueTag* tag) { return tag; }

// A tag calling a member function: `MemberTag<Call> read_{this, &Call::OnRead};`.
template <typename T>
class MemberTag final : public QueueTag {
 public:
  MemberTag(T* object, void (T::*handler)(bool ok)) : object_(object), handler_(handler) {}
  void OnCompleted(bool ok) override { (object_->*handler_)(ok); }

 private:
  T* object_;
  void (T::*handler_)(bool ok);
};

// Counts the call objects of ServingQueues' services. A call may start an operation from a
// completion of its own (an upstream's answer makes the forwarder write to its caller) even
// after the server has shut down, and gRPC aborts on an operation started on a queue that is
// shut down and empty; so ServingQueues::Stop waits for every call object to be gone first.
// A call object holds a Token for its whole life.
class LiveCalls {
 public:
  class Token {
   public:
    explicit Token(LiveCalls* live) : live_(live) { live_->Add(); }
    ~Token() { live_->Remove(); }
    Token(const Token&) = delete;
    Token& operator=(const Token&) = delete;

   private:
    LiveCalls* live_;
  };

  // Returns once no Token is alive.
  void WaitForNone();

 private:
  void Add();
  void Remove();

  std::mutex mutex_;
  std::condition_variable none_;
  int count_ = 0;
};

// A service on gRPC's asynchronous API, served on ServingQueues. Every tag it gives a queue
// is a QueueTag.
class AsyncService {
 public:
  virtual ~AsyncService() = default;
  // Before the server is built.
  virtual void Register(grpc::ServerBuilder& builder) = 0;
  // Once the server runs, once per queue: starts waiting for calls on `queue`. Every call
  // object holds a LiveCalls::Token of `live`.
  virtual void Start(grpc::ServerCompletionQueue* queue, LiveCalls* live) = 0;
};

// Completion queues with one thread each, serving AsyncServices and the client calls those
// make on the same queue. Why not gRPC's callback API: once any callback service or callback
// stub exists in a process, gRPC's callback threads poll too and each call hops between
// threads (about 9.5 context switches per forwarded call in the gateway, bench/README.md);
// a call that stays on its queue's one thread costs about 1.5.
class ServingQueues {
 public:
  explicit ServingQueues(int count = 1) : count_(count) {}
  ~ServingQueues() { Stop(); }
  ServingQueues(const ServingQueues&) = delete;
  ServingQueues& operator=(const ServingQueues&) = delete;

  // Before Register.
  void Add(AsyncService* service) { services_.push_back(service); }
  void set_count(int count) { count_ = count; }
  // How long each queue thread keeps polling without sleeping after a completion (RunQueue);
  // zero (the default) sleeps at once.
  void set_spin(std::chrono::microseconds spin) { spin_ = spin; }

  // Registers the services and adds the queues, before the server is built.
  void Register(grpc::ServerBuilder& builder);
  // Once the server runs: the services wait for calls, the threads (named kam-queue-<i>) run
  // the queues.
  void Start();
  // After the server has shut down (gRPC requires it before a queue's shutdown): waits for
  // the calls to end (LiveCalls), then the queues are shut down and drained, the threads
  // joined. Idempotent.
  void Stop();

 private:
  int count_;
  std::chrono::microseconds spin_{0};
  LiveCalls live_;
  std::vector<AsyncService*> services_;
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues_;
  std::vector<std::thread> threads_;
};

// Runs each completed tag of `queue` until it is shut down and drained.
//
// With a `spin`, the thread polls without sleeping for that long after each completion, so
// that a completion arriving within it is taken at once. On a virtual machine whose idle
// vCPUs halt, waking a sleeping thread costs about 0.1 ms (bench/README.md, "Spinning
// queue"), and a forwarded call waits twice (for its caller, for its upstream). Between
// polls the thread yields to runnable threads on its core. The price is
// CPU: the thread burns the idle time inside the windows, up to one core under a steady
// trickle of calls, and nothing once it is idle for longer than `spin`.
void RunQueue(grpc::CompletionQueue* queue,
              std::chrono::microseconds spin = std::chrono::microseconds(0));

}  // namespace kam
