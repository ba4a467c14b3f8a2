// tabvm's native addon (DESIGN §8): system calls only, no KVM logic.
//
// The KVM and kqemu engines (helper/kvm, helper/kqemu) keep every struct layout
// and ioctl number in TypeScript; this file gives them open/close/ioctl/mmap,
// the address of a buffer's bytes (guest RAM for KVM_SET_USER_MEMORY_REGION)
// a periodic per-thread tick, and a way to kick a thread blocked in KVM_RUN (a signal whose handler does
// nothing, installed without SA_RESTART, so the ioctl returns EINTR; see the
// KVM API documentation, section "KVM_RUN" and "immediate_exit").
//
// Errors are returned, not thrown: every call answers a number >= 0 or -errno,
// so a hot loop (KVM_RUN) never pays for an exception. helper/native.ts turns
// them into Error objects with errno names.

#include <napi.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <mutex>
#include <unordered_map>

namespace {

// The signal that kicks a vCPU thread. Node uses SIGUSR1 (inspector); SIGUSR2 is free.
const int KICK_SIGNAL = SIGUSR2;

Napi::Value Fail(Napi::Env env, int err) { return Napi::Number::New(env, -err); }

bool ArgCount(const Napi::CallbackInfo& info, size_t n) {
  if (info.Length() < n) {
    Napi::TypeError::New(info.Env(), "too few arguments").ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

// The bytes of an ArrayBuffer, a TypedArray/DataView (over an ArrayBuffer or a
// SharedArrayBuffer), or a Buffer. Returns false when the value holds no bytes.
bool BytesOf(Napi::Value v, void** data, size_t* length) {
  napi_env env = v.Env();
  if (v.IsArrayBuffer()) {
    Napi::ArrayBuffer ab = v.As<Napi::ArrayBuffer>();
    *data = ab.Data();
    *length = ab.ByteLength();
    return true;
  }
  if (v.IsTypedArray()) {
    napi_typedarray_type type;
    size_t count;
    napi_value ab;
    size_t offset;
    if (napi_get_typedarray_info(env, v, &type, &count, data, &ab, &offset) != napi_ok) return false;
    Napi::TypedArray ta = v.As<Napi::TypedArray>();
    *length = ta.ByteLength();
    return true;
  }
  if (v.IsDataView()) {
    Napi::DataView dv = v.As<Napi::DataView>();
    *data = static_cast<uint8_t*>(dv.Data());
    *length = dv.ByteLength();
    return true;
  }
  return false;
}

// open(path, flags) -> fd | -errno. O_CLOEXEC always: a child process must not inherit a VM.
Napi::Value Open(const Napi::CallbackInfo& info) {
  if (!ArgCount(info, 2)) return info.Env().Undefined();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int flags = info[1].As<Napi::Number>().Int32Value();
  int fd = open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Fail(info.Env(), errno);
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  if (!ArgCount(info, 1)) return info.Env().Undefined();
  if (close(info[0].As<Napi::Number>().Int32Value()) < 0) return Fail(info.Env(), errno);
  return Napi::Number::New(info.Env(), 0);
}

// ioctl(fd, request, arg): arg is a number (passed as an unsigned long), a
// bigint (a pointer or 64-bit value), or bytes (their address is passed).
Napi::Value Ioctl(const Napi::CallbackInfo& info) {
  if (!ArgCount(info, 3)) return info.Env().Undefined();
  int fd = info[0].As<Napi::Number>().Int32Value();
  unsigned long request = static_cast<unsigned long>(info[1].As<Napi::Number>().Uint32Value());
  unsigned long arg = 0;
  if (info[2].IsNumber()) {
    arg = static_cast<unsigned long>(info[2].As<Napi::Number>().Int64Value());
  } else if (info[2].IsBigInt()) {
    bool lossless;
    arg = static_cast<unsigned long>(info[2].As<Napi::BigInt>().Uint64Value(&lossless));
  } else {
    void* data;
    size_t length;
    if (!BytesOf(info[2], &data, &length)) {
      Napi::TypeError::New(info.Env(), "ioctl: arg must be a number, bigint or bytes").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    arg = reinterpret_cast<unsigned long>(data);
  }
  int r = ioctl(fd, request, arg);
  if (r < 0) return Fail(info.Env(), errno);
  return Napi::Number::New(info.Env(), r);
}

struct Mapping {
  void* addr;
  size_t length;
  bool unmapped;
};

// Live mappings by address, shared by every thread's instance of the addon, so
// munmap() and the buffer's finalizer agree on who unmaps (never twice: the
// address could be reused by a newer mapping).
std::mutex mappingsLock;
std::unordered_map<void*, Mapping*> mappings;

void FinalizeMapping(Napi::Env, void*, Mapping* m) {
  std::lock_guard<std::mutex> guard(mappingsLock);
  if (!m->unmapped) {
    munmap(m->addr, m->length);
    mappings.erase(m->addr);
  }
  delete m;
}

// mmap(fd, length, prot, flags, offset) -> ArrayBuffer over the mapping | -errno.
// The mapping lives until munmap(buffer) or until the buffer is collected.
Napi::Value Mmap(const Napi::CallbackInfo& info) {
  if (!ArgCount(info, 5)) return info.Env().Undefined();
  int fd = info[0].As<Napi::Number>().Int32Value();
  size_t length = static_cast<size_t>(info[1].As<Napi::Number>().Int64Value());
  int prot = info[2].As<Napi::Number>().Int32Value();
  int flags = info[3].As<Napi::Number>().Int32Value();
  off_t offset = static_cast<off_t>(info[4].As<Napi::Number>().Int64Value());
  if (length == 0) return Fail(info.Env(), EINVAL);
  void* addr = mmap(nullptr, length, prot, flags, fd, offset);
  if (addr == MAP_FAILED) return Fail(info.Env(), errno);
  Mapping* m = new Mapping{addr, length, false};
  {
    std::lock_guard<std::mutex> guard(mappingsLock);
    mappings[addr] = m;
  }
  return Napi::ArrayBuffer::New(info.Env(), addr, length, FinalizeMapping, m);
}

// munmap(buffer): unmaps a buffer mmap() returned and detaches it, so no view can reach the pages.
Napi::Value Munmap(const Napi::CallbackInfo& info) {
  if (!ArgCount(info, 1) || !info[0].IsArrayBuffer()) return Fail(info.Env(), EINVAL);
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  if (ab.IsDetached()) return Fail(info.Env(), EINVAL);
  void* addr = ab.Data();
  std::lock_guard<std::mutex> guard(mappingsLock);
  auto it = mappings.find(addr);
  // Only buffers mmap() made can be unmapped; detaching first leaves no JS view on the pages.
  if (it == mappings.end() || it->second->unmapped) return Fail(info.Env(), EINVAL);
  Mapping* m = it->second;
  ab.Detach();
  int r = munmap(m->addr, m->length);
  m->unmapped = true;
  mappings.erase(it);
  if (r < 0) return Fail(info.Env(), errno);
  return Napi::Number::New(info.Env(), 0);
}

// address(bytes) -> bigint: where the bytes are in this process (for KVM_SET_USER_MEMORY_REGION).
Napi::Value Address(const Napi::CallbackInfo& info) {
  if (!ArgCount(info, 1)) return info.Env().Undefined();
  void* data;
  size_t length;
  if (!BytesOf(info[0], &data, &length)) {
    Napi::TypeError::New(info.Env(), "address: not an ArrayBuffer or a view").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(reinterpret_cast<uintptr_t>(data)));
}

void NoopHandler(int) {}

// installKickHandler(): a handler for KICK_SIGNAL without SA_RESTART, so a
// blocked KVM_RUN returns EINTR instead of being restarted.
Napi::Value InstallKickHandler(const Napi::CallbackInfo& info) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = NoopHandler;
  sigemptyset(&sa.sa_mask);
  if (sigaction(KICK_SIGNAL, &sa, nullptr) < 0) return Fail(info.Env(), errno);
  return Napi::Number::New(info.Env(), KICK_SIGNAL);
}

// threadSelf() -> bigint: the calling thread's pthread id (to kick it later).
Napi::Value ThreadSelf(const Napi::CallbackInfo& info) {
  return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(pthread_self()));
}

// kick(thread) -> 0 | -errno: sends KICK_SIGNAL to a thread threadSelf() named.
Napi::Value Kick(const Napi::CallbackInfo& info) {
  if (!ArgCount(info, 1)) return info.Env().Undefined();
  bool lossless;
  pthread_t t = static_cast<pthread_t>(info[0].As<Napi::BigInt>().Uint64Value(&lossless));
  int r = pthread_kill(t, KICK_SIGNAL);
  if (r != 0) return Fail(info.Env(), r);
  return Napi::Number::New(info.Env(), 0);
}

// startTickTimer(periodMs) -> timer handle (bigint) | -errno: a periodic timer
// that sends KICK_SIGNAL to the calling thread only (SIGEV_THREAD_ID), so a
// vCPU blocked in KVM_RUN returns EINTR at least every period and its loop
// can service device timers and host requests even if a kick was missed.
Napi::Value StartTickTimer(const Napi::CallbackInfo& info) {
  if (!ArgCount(info, 1)) return info.Env().Undefined();
  double ms = info[0].As<Napi::Number>().DoubleValue();
  if (!(ms > 0)) return Fail(info.Env(), EINVAL);
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = KICK_SIGNAL;
  sev._sigev_un._tid = static_cast<pid_t>(syscall(SYS_gettid));
  timer_t timer;
  if (timer_create(CLOCK_MONOTONIC, &sev, &timer) < 0) return Fail(info.Env(), errno);
  struct itimerspec its;
  const long ns = static_cast<long>(ms * 1e6);
  its.it_value.tv_sec = its.it_interval.tv_sec = ns / 1000000000L;
  its.it_value.tv_nsec = its.it_interval.tv_nsec = ns % 1000000000L;
  if (timer_settime(timer, 0, &its, nullptr) < 0) {
    int err = errno;
    timer_delete(timer);
    return Fail(info.Env(), err);
  }
  return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(reinterpret_cast<uintptr_t>(timer)));
}

Napi::Value StopTickTimer(const Napi::CallbackInfo& info) {
  if (!ArgCount(info, 1)) return info.Env().Undefined();
  bool lossless;
  timer_t timer = reinterpret_cast<timer_t>(static_cast<uintptr_t>(info[0].As<Napi::BigInt>().Uint64Value(&lossless)));
  if (timer_delete(timer) < 0) return Fail(info.Env(), errno);
  return Napi::Number::New(info.Env(), 0);
}

Napi::Value PageSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(sysconf(_SC_PAGESIZE)));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("open", Napi::Function::New(env, Open));
  exports.Set("close", Napi::Function::New(env, Close));
  exports.Set("ioctl", Napi::Function::New(env, Ioctl));
  exports.Set("mmap", Napi::Function::New(env, Mmap));
  exports.Set("munmap", Napi::Function::New(env, Munmap));
  exports.Set("address", Napi::Function::New(env, Address));
  exports.Set("installKickHandler", Napi::Function::New(env, InstallKickHandler));
  exports.Set("threadSelf", Napi::Function::New(env, ThreadSelf));
  exports.Set("kick", Napi::Function::New(env, Kick));
  exports.Set("startTickTimer", Napi::Function::New(env, StartTickTimer));
  exports.Set("stopTickTimer", Napi::Function::New(env, StopTickTimer));
  exports.Set("pageSize", Napi::Function::New(env, PageSize));
  return exports;
}

}  // namespace

NODE_API_MODULE(tabvm_native, Init)
