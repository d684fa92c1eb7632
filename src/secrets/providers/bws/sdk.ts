// Bitwarden's Secrets Manager SDK as its native module exposes it (@bitwarden/sdk-napi-linux-x64-gnu):
// one client, driven by JSON commands through `runCommand`, as the SDK's own JavaScript wrapper
// (@bitwarden/sdk-napi) drives it. Only the two commands the runner needs. The wrapper package itself is
// not used: it lists the SDK's macOS and Windows binaries as optional dependencies, which this project's
// npm registry does not carry, so `npm ci` could not install it.

export interface NativeSdk {
  BitwardenClient: new (settings: string | null, logLevel: number) => { runCommand(command: string): Promise<string> };
}

export interface SdkSettings {
  apiUrl: string;
  identityUrl: string;
  userAgent: string;
}

export interface SdkSecret {
  id: string;
  organizationId: string;
  key: string;
  value: string;
}

/** LogLevel.Error of the SDK (0 Trace ... 4 Error): its own logging stays quiet. */
const errorsOnly = 4;

export class SdkClient {
  private readonly client: { runCommand(command: string): Promise<string> };

  constructor(native: NativeSdk, settings: SdkSettings) {
    this.client = new native.BitwardenClient(JSON.stringify({ ...settings, deviceType: 'SDK' }), errorsOnly);
  }

  private async command<T>(command: unknown): Promise<T> {
    const response = JSON.parse(await this.client.runCommand(JSON.stringify(command))) as {
      success: boolean;
      errorMessage?: string | null;
      data?: T | null;
    };
    if (!response.success) throw new Error(response.errorMessage || 'the SDK reported a failure');
    return response.data as T;
  }

  async loginAccessToken(accessToken: string): Promise<void> {
    await this.command({ loginAccessToken: { accessToken, stateFile: null } });
  }

  getSecret(id: string): Promise<SdkSecret> {
    return this.command<SdkSecret>({ secrets: { get: { id } } });
  }
}
