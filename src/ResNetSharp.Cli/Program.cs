using ResNetSharp.Runtime;
var r = TorchRuntime.EnsureLoaded();
Console.WriteLine(r);
var x = TorchSharp.torch.randn(2, 3);
Console.WriteLine(x.sum().item<float>());
