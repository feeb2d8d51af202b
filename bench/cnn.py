# PyTorch side of bench/cnn.ts: the same CNN training step (forward, cross-entropy, backward, SGD with
# momentum) on random Fashion-MNIST-shaped batches. Prints one JSON line. On CUDA it also times the
# step in bf16 autocast with channels_last, eager and recorded in a CUDA graph (PyTorch's
# whole-network capture recipe), so that Sous's graph rows have their PyTorch counterparts.
import json, sys, time
import torch
import torch.nn as nn

batches = [int(b) for b in sys.argv[1].split(',')]
steps = int(sys.argv[2])
threads = int(sys.argv[3])
device = sys.argv[4] if len(sys.argv) > 4 else 'cpu'
on_cuda = device.startswith('cuda')
torch.set_num_threads(threads)
torch.manual_seed(0)

def model():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 3 * 3, 128), nn.ReLU(), nn.Linear(128, 10))

def vmhwm():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmHWM'):
                return int(line.split()[1]) / 1024
    return 0

def sync():
    if on_cuda:
        torch.cuda.synchronize()

def run(b, graph, bf16, channels_last):
    m = model().to(device)
    if channels_last:
        m = m.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(b, 1, 28, 28).to(device)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (b,)).to(device)
    lossf = nn.CrossEntropyLoss()
    def loss_of():
        if bf16:
            with torch.autocast('cuda', dtype=torch.bfloat16, cache_enabled=False):
                return lossf(m(x), y)
        return lossf(m(x), y)
    def eager():
        opt.zero_grad(set_to_none=True)
        loss = loss_of()
        loss.backward()
        opt.step()
    if on_cuda:
        torch.cuda.reset_peak_memory_stats()
    if graph:
        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(s):
            for _ in range(3):
                eager()
        torch.cuda.current_stream().wait_stream(s)
        g = torch.cuda.CUDAGraph()
        opt.zero_grad(set_to_none=True)
        with torch.cuda.graph(g):
            loss = loss_of()
            loss.backward()
            opt.step()
        step = g.replay
    else:
        step = eager
    for _ in range(5):
        step()
    sync()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        sync()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    peak = torch.cuda.max_memory_allocated() / 2 ** 20 if on_cuda else 0
    return {"median_ms": times[len(times) // 2], "min_ms": times[0], "params": sum(p.numel() for p in m.parameters()), "peak_mib": peak}

variants = {"eager fp32": (False, False, False)}
if on_cuda:
    variants["eager bf16 channels_last"] = (False, True, True)
    variants["graph bf16 channels_last"] = (True, True, True)
out = {name: {b: run(b, *v) for b in batches} for name, v in variants.items()}
print(json.dumps({"results": out, "peak_rss_mib": vmhwm(), "torch": torch.__version__,
                  "device_name": torch.cuda.get_device_name() if on_cuda else "cpu"}))
