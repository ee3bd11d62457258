// An independent plain TorchSharp loop for CIFAR-10, written from the paper's section 4.2 and sharing no code
// with ResNetSharp beyond loading libtorch: its own JPEG loading, mean image, augmentation, network, initialisation and schedule, with
// torch.optim.SGD. It exists to tell a trainer bug from a property of the data: run it and `resnet train`
// on the same ImageFolder with the same schedule and compare the test errors.
//
// dotnet run -c Release --project scripts/reference/PlainCifar -- <root with train/ and test/>
//     [--depth 20] [--iterations 64000] [--milestones 32000,48000] [--seed 0] [--eval-every 1000] [--out file.csv] [--threads N]
using System.Diagnostics;
using System.Globalization;
using SkiaSharp;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

var options = Args.Parse(args);
ResNetSharp.Runtime.TorchRuntime.EnsureLoaded(); // the one use of ResNetSharp: loading libtorch on Debian 12's libstdc++
torch.set_num_threads(options.Threads);
torch.manual_seed(options.Seed);
var (trainX, trainY, classes) = Cifar.Load(Path.Combine(options.Root, "train"));
var (testX, testY, _) = Cifar.Load(Path.Combine(options.Root, "test"));
Console.WriteLine($"{trainY.shape[0]} train / {testY.shape[0]} test images, classes {string.Join(' ', classes)}");

// per-pixel mean over the training set, subtracted from every image (pixel values 0..255 scaled to 0..1)
var mean = trainX.mean([0], keepdim: true);
trainX = trainX - mean;
testX = testX - mean;

var net = new CifarResNet(options.Depth, classes.Length);
var sgd = torch.optim.SGD(net.parameters(), 0.1, momentum: 0.9, weight_decay: 1e-4);
using var csv = new StreamWriter(options.Out) { AutoFlush = true };
csv.WriteLine("iteration,lr,train_loss,train_error,test_error");

var n = (int)trainY.shape[0];
var generator = new torch.Generator((ulong)options.Seed);
var order = torch.randperm(n, generator: generator);
var position = 0;
double lossSum = 0, wrongSum = 0, seen = 0;
var clock = Stopwatch.StartNew();
for (var it = 1; it <= options.Iterations; it++)
{
    var lr = 0.1 * Math.Pow(0.1, options.Milestones.Count(m => it > m));
    foreach (var group in sgd.ParamGroups) group.LearningRate = lr;
    if (position + 128 > n)
    {
        order = torch.randperm(n, generator: generator);
        position = 0;
    }
    using var scope = torch.NewDisposeScope();
    var idx = order.narrow(0, position, 128);
    position += 128;
    var x = Augment(trainX.index_select(0, idx), generator);
    var y = trainY.index_select(0, idx);
    net.train();
    var logits = net.call(x);
    var loss = F.cross_entropy(logits, y);
    sgd.zero_grad();
    loss.backward();
    sgd.step();
    lossSum += loss.item<float>() * 128;
    wrongSum += logits.argmax(1).ne(y).sum().item<long>();
    seen += 128;
    if (it % options.EvalEvery == 0 || it == options.Iterations)
    {
        var testError = Evaluate(net, testX, testY);
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{it},{lr},{lossSum / seen:F4},{wrongSum / seen:F4},{testError:F4}");
        csv.WriteLine(line);
        Console.WriteLine($"{line}  {clock.Elapsed.TotalMinutes:F1} min");
        lossSum = wrongSum = seen = 0;
    }
}

// pad 4 zeros on each side (after mean subtraction), a random 32x32 crop per image, a horizontal flip with p = 1/2
static Tensor Augment(Tensor batch, torch.Generator generator)
{
    var padded = F.pad(batch, [4, 4, 4, 4]);
    var offsets = torch.randint(0, 9, [batch.shape[0], 2], generator: generator).data<long>().ToArray();
    var flips = torch.rand([batch.shape[0]], generator: generator).data<float>().ToArray();
    var crops = new Tensor[batch.shape[0]];
    for (var i = 0; i < crops.Length; i++)
    {
        var crop = padded[i].narrow(1, offsets[2 * i], 32).narrow(2, offsets[2 * i + 1], 32);
        crops[i] = flips[i] < 0.5f ? crop.flip(2) : crop;
    }
    return torch.stack(crops);
}

static double Evaluate(CifarResNet net, Tensor x, Tensor y)
{
    net.eval();
    long wrong = 0;
    using (torch.no_grad())
        for (long s = 0; s < x.shape[0]; s += 500)
        {
            using var scope = torch.NewDisposeScope();
            var len = Math.Min(500, x.shape[0] - s);
            wrong += net.call(x.narrow(0, s, len)).argmax(1).ne(y.narrow(0, s, len)).sum().item<long>();
        }
    return (double)wrong / x.shape[0];
}

sealed record Args(string Root, int Depth, int Iterations, int[] Milestones, int Seed, int EvalEvery, string Out, int Threads)
{
    public static Args Parse(string[] a)
    {
        string Get(string name, string fallback)
        {
            var i = Array.IndexOf(a, name);
            return i >= 0 && i + 1 < a.Length ? a[i + 1] : fallback;
        }
        if (a.Length == 0 || a[0].StartsWith("--", StringComparison.Ordinal))
            throw new ArgumentException("usage: PlainCifar <root with train/ and test/> [--depth 20] [--iterations 64000] ...");
        return new(a[0], int.Parse(Get("--depth", "20"), CultureInfo.InvariantCulture),
            int.Parse(Get("--iterations", "64000"), CultureInfo.InvariantCulture),
            [.. Get("--milestones", "32000,48000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))],
            int.Parse(Get("--seed", "0"), CultureInfo.InvariantCulture),
            int.Parse(Get("--eval-every", "1000"), CultureInfo.InvariantCulture), Get("--out", "plain-cifar.csv"),
            int.Parse(Get("--threads", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture));
    }
}

static class Cifar
{
    // every class folder's JPEGs, decoded to RGB floats in [0, 1], N x 3 x 32 x 32
    public static (Tensor X, Tensor Y, string[] Classes) Load(string root)
    {
        var classes = Directory.GetDirectories(root).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).ToArray();
        var files = classes.SelectMany((c, label) => Directory.GetFiles(Path.Combine(root, c))
            .Order(StringComparer.Ordinal).Select(f => (f, label))).ToArray();
        var pixels = new byte[files.Length * 3 * 32 * 32];
        var labels = new long[files.Length];
        Parallel.For(0, files.Length, i =>
        {
            using var bitmap = SKBitmap.Decode(files[i].f) ?? throw new InvalidDataException(files[i].f);
            if (bitmap.Width != 32 || bitmap.Height != 32) throw new InvalidDataException($"{files[i].f} is not 32x32");
            for (var yy = 0; yy < 32; yy++)
                for (var xx = 0; xx < 32; xx++)
                {
                    var c = bitmap.GetPixel(xx, yy);
                    var o = i * 3072 + yy * 32 + xx;
                    pixels[o] = c.Red;
                    pixels[o + 1024] = c.Green;
                    pixels[o + 2048] = c.Blue;
                }
            labels[i] = files[i].label;
        });
        var x = torch.tensor(pixels, [files.Length, 3, 32, 32]).to(ScalarType.Float32) / 255f;
        return (x, torch.tensor(labels), classes);
    }
}

// ResNet for CIFAR (section 4.2): 3x3 conv 16, three stages of n units at 16/32/64 filters, option A shortcuts
// (stride-2 subsampling, zero-padded extra channels), global average pooling, a 10-way fully connected layer.
sealed class CifarResNet : nn.Module<Tensor, Tensor>
{
    readonly Conv2d conv;
    readonly BatchNorm2d bn;
    readonly ModuleList<Unit> units = new();
    readonly Linear fc;

    public CifarResNet(int depth, int classes) : base("CifarResNet")
    {
        var n = (depth - 2) / 6;
        conv = nn.Conv2d(3, 16, 3, padding: 1, bias: false);
        bn = nn.BatchNorm2d(16);
        var cin = 16;
        foreach (var (width, stage) in new[] { 16, 32, 64 }.Select((w, s) => (w, s)))
            for (var b = 0; b < n; b++)
            {
                units.Add(new Unit(cin, width, stage > 0 && b == 0 ? 2 : 1));
                cin = width;
            }
        fc = nn.Linear(64, classes);
        RegisterComponents();
        foreach (var (_, m) in named_modules())
            if (m is Conv2d c) nn.init.kaiming_normal_(c.weight, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
    }

    public override Tensor forward(Tensor x)
    {
        x = F.relu(bn.call(conv.call(x)));
        foreach (var u in units) x = u.call(x);
        return fc.call(x.mean([2, 3]));
    }
}

sealed class Unit : nn.Module<Tensor, Tensor>
{
    readonly Conv2d c1, c2;
    readonly BatchNorm2d b1, b2;
    readonly int stride, extra;

    public Unit(int cin, int cout, int stride) : base("Unit")
    {
        c1 = nn.Conv2d(cin, cout, 3, stride: stride, padding: 1, bias: false);
        b1 = nn.BatchNorm2d(cout);
        c2 = nn.Conv2d(cout, cout, 3, padding: 1, bias: false);
        b2 = nn.BatchNorm2d(cout);
        this.stride = stride;
        extra = cout - cin;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var y = b2.call(c2.call(F.relu(b1.call(c1.call(x)))));
        var s = stride > 1 ? x[.., .., TensorIndex.Slice(null, null, stride), TensorIndex.Slice(null, null, stride)] : x;
        if (extra > 0) s = F.pad(s, [0, 0, 0, 0, extra / 2, extra - extra / 2]);
        return F.relu(y + s);
    }
}
