namespace ResNetSharp.Data;

/// <summary>The order of colour channels a network expects: torchvision's RGB, or BGR (Caffe, CNTK, OpenCV).</summary>
public enum ChannelOrder
{
    /// <summary>Red, green, blue.</summary>
    Rgb,

    /// <summary>Blue, green, red.</summary>
    Bgr,
}
