#!/usr/bin/env bash
# Packs the library and the tool, installs the tool in a temporary folder and runs `resnet models`, then builds a new
# console project against the packed library and runs the README's "Use from your own project" block on a photo.
# OFFLINE=1 restores with no package source but the packed folder (everything else from the local NuGet cache).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d /tmp/resnetsharp-package-XXXXXX)"
trap 'rm -rf "$work"' EXIT
packages="$work/packages"

echo "== pack"
dotnet pack "$root/src/ResNetSharp" -c Release -o "$packages" --nologo -v q
dotnet pack "$root/src/ResNetSharp.Cli" -c Release -o "$packages" --nologo -v q
version="$(ls "$packages" | sed -n 's/^ResNetSharp\.\([0-9][0-9.]*\)\.nupkg$/\1/p')"
ls -l "$packages"

sources=(--add-source "$packages")
# the packed folder beside the machine's own sources; OFFLINE=1 drops those, so the rest must come from the local cache
clear=""
if [[ "${OFFLINE:-0}" == 1 ]]; then clear="<clear />"; fi

echo "== tool"
mkdir -p "$work/toolrestore" && cat > "$work/toolrestore/nuget.config" <<XML
<configuration><packageSources>$clear<add key="local" value="$packages" /></packageSources></configuration>
XML
(cd "$work/toolrestore" && dotnet tool install --tool-path "$work/tools" "${sources[@]}" ResNetSharp.Cli --version "$version")
"$work/tools/resnet" models resnet18

echo "== console project"
app="$work/app"
mkdir -p "$app"
cat > "$app/nuget.config" <<XML
<configuration><packageSources>$clear<add key="local" value="$packages" /></packageSources></configuration>
XML
cat > "$app/App.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
    <RuntimeIdentifier>\$(NETCoreSdkRuntimeIdentifier)</RuntimeIdentifier>
    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="ResNetSharp" Version="$version" />
  </ItemGroup>
</Project>
XML
# the README block that follows the check-package marker is the program
awk '/check-package.sh compiles and runs this block/{found=1; next} found && /^```csharp/{inside=1; next} inside && /^```/{exit} inside{print}' \
  "$root/README.md" > "$app/Program.cs"
test -s "$app/Program.cs" || { echo "no snippet found in README.md" >&2; exit 1; }
# weights for it: a second small program, on the same package, saves a ResNet-18's state dict as safetensors
mkdir -p "$work/weights" && cp "$app/nuget.config" "$work/weights/" && cp "$app/App.csproj" "$work/weights/Weights.csproj"
cat > "$work/weights/Program.cs" <<'CS'
ResNetSharp.Runtime.TorchRuntime.EnsureLoaded();
using var net = ResNetSharp.Models.ModelZoo.Create("resnet18");
ResNetSharp.Interop.WeightFiles.SaveSafetensors(net, args[0]);
CS
dotnet run --project "$work/weights" -c Release -- "$work/resnet18.safetensors"
# the README's NetworkSpec block, on the same package
mkdir -p "$work/spec" && cp "$app/nuget.config" "$work/spec/" && cp "$app/App.csproj" "$work/spec/Spec.csproj"
awk '/check-package.sh runs this block too/{found=1; next} found && /^```csharp/{inside=1; next} inside && /^```/{exit} inside{print}' \
  "$root/README.md" > "$work/spec/Program.cs"
test -s "$work/spec/Program.cs" || { echo "no NetworkSpec block found in README.md" >&2; exit 1; }
echo 'Console.WriteLine($"spec snippet: logits [{string.Join(", ", logits.shape)}], features [{string.Join(", ", features.shape)}], classes now {net.Spec.Classes}");' >> "$work/spec/Program.cs"
spec="$(dotnet run --project "$work/spec" -c Release)"
echo "$spec"
grep -q "logits \[2, 100\], features \[2, 512\], classes now 10" <<<"$spec" || { echo "the NetworkSpec snippet did not run as the README says" >&2; exit 1; }
dotnet build "$app" -c Release --nologo -v q
echo "bin folder of the console project: $(du -sh "$app/bin" | cut -f1)"
output="$(dotnet run --project "$app" -c Release --no-build -- "$work/resnet18.safetensors" "$root/tests/ResNetSharp.Tests/Photos/chelsea.jpg")"
echo "$output"
grep -q "loaded 122 tensors" <<<"$output" || { echo "the snippet did not load the weights" >&2; exit 1; }
grep -q "chelsea.jpg: class " <<<"$output" || { echo "the snippet did not classify the photo" >&2; exit 1; }
echo "check-package: OK"
