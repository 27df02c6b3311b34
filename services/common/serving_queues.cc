#include "services/common/serving_queues.h"

#include <algorithm>

namespace kam {

void RunQueue(grpc::CompletionQueue* queue) {
  void* tag = nullptr;
  bool ok = false;
  while (queue->Next(&tag, &ok)) static_cast<QueueTag*>(tag)->OnCompleted(ok);
}

void LiveCalls::Add() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++count_;
}

void LiveCalls::Remove() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (--count_ == 0) none_.notify_all();
}

void LiveCalls::WaitForNone() {
  std::unique_lock<std::mutex> lock(mutex_);
  none_.wait(lock, [this] { return count_ == 0; });
}

void ServingQueues::Register(grpc::ServerBuilder& builder) {
  for (AsyncService* service : services_) service->Register(builder);
  for (int i = 0; i < std::max(1, count_); ++i) queues_.push_back(builder.AddCompletionQueue());
}

void ServingQueues::Start() {
  for (const std::unique_ptr<grpc::ServerCompletionQueue>& queue : queues_) {
    for (AsyncService* service : services_) service->Start(queue.get(), &live_);
    threads_.emplace_back([queue = queue.get()] { RunQueue(queue); });
  }
}

// The calls end by themselves once the server has shut down (waiting ones are told so,
// running ones are cancelled); the threads keep running them meanwhile. Without threads (the
// server never started) there are no calls, and the queues are drained here.
void ServingQueues::Stop() {
  live_.WaitForNone();
  for (const std::unique_ptr<grpc::ServerCompletionQueue>& queue : queues_) queue->Shutdown();
  if (threads_.empty()) {
    for (const std::unique_ptr<grpc::ServerCompletionQueue>& queue : queues_) RunQueue(queue.get());
  }
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  queues_.clear();
}

}  // namespace kam
