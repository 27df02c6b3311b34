#include "services/common/serving_queues.h"

#include <algorithm>

namespace kam {

void RunQueue(grpc::CompletionQueue* queue) {
  void* tag = nullptr;
  bool ok = false;
  while (queue->Next(&tag, &ok)) static_cast<QueueTag*>(tag)->OnCompleted(ok);
}

void ServingQueues::Register(grpc::ServerBuilder& builder) {
  for (AsyncService* service : services_) service->Register(builder);
  for (int i = 0; i < std::max(1, count_); ++i) queues_.push_back(builder.AddCompletionQueue());
}

void ServingQueues::Start() {
  for (const std::unique_ptr<grpc::ServerCompletionQueue>& queue : queues_) {
    for (AsyncService* service : services_) service->Start(queue.get());
    threads_.emplace_back([queue = queue.get()] { RunQueue(queue); });
  }
}

// Without threads (the server never started) the queues are drained here.
void ServingQueues::Stop() {
  for (const std::unique_ptr<grpc::ServerCompletionQueue>& queue : queues_) queue->Shutdown();
  if (threads_.empty()) {
    for (const std::unique_ptr<grpc::ServerCompletionQueue>& queue : queues_) RunQueue(queue.get());
  }
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  queues_.clear();
}

}  // namespace kam
