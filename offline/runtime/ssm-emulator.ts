/**
 * SSM Parameter Store, offline: the template's `AWS::SSM::Parameter`s with their values, served on the SSM JSON
 * protocol (GetParameter, GetParameters, PutParameter) so handlers (Powertools parameters) and the ordering CLI
 * use the real SDK against it. Versions count up on every overwrite, as in SSM.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OfflineNaming, SsmParameterModel } from './model';

interface Stored {
  name: string;
  type: string;
  value: string;
  version: number;
  modified: Date;
}

export class SsmEmulator {
  private server?: Server;
  private readonly parameters = new Map<string, Stored>();
  endpoint = '';

  constructor(
    parameters: SsmParameterModel[],
    private readonly naming: OfflineNaming,
  ) {
    for (const p of parameters)
      this.parameters.set(p.name, { name: p.name, type: p.type, value: p.value, version: 1, modified: new Date() });
  }

  private view(p: Stored) {
    return {
      Name: p.name,
      Type: p.type,
      Value: p.value,
      Version: p.version,
      LastModifiedDate: p.modified.getTime() / 1000,
      ARN: `arn:aws:ssm:${this.naming.region}:${this.naming.accountId}:parameter${p.name.startsWith('/') ? '' : '/'}${p.name}`,
      DataType: 'text',
    };
  }

  get(name: string): string | undefined {
    return this.parameters.get(name)?.value;
  }

  put(name: string, value: string, type = 'String', overwrite = true): number {
    const existing = this.parameters.get(name);
    if (existing && !overwrite) throw Object.assign(new Error(`The parameter ${name} already exists.`), { code: 'ParameterAlreadyExists' });
    const version = (existing?.version ?? 0) + 1;
    this.parameters.set(name, { name, type: existing?.type ?? type, value, version, modified: new Date() });
    return version;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req
        .on('data', (c) => chunks.push(c))
        .on('end', (): void => {
          const target = String(req.headers['x-amz-target'] ?? '');
          const reply = (status: number, body: unknown): void =>
            void res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
          const notFound = (name: string) => reply(400, { __type: 'ParameterNotFound', message: `Parameter ${name} not found.` });
          try {
            const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
            switch (target) {
              case 'AmazonSSM.GetParameter': {
                const p = this.parameters.get(input.Name);
                return p ? reply(200, { Parameter: this.view(p) }) : notFound(input.Name);
              }
              case 'AmazonSSM.GetParameters': {
                const names: string[] = input.Names ?? [];
                return reply(200, {
                  Parameters: names.flatMap((n) => (this.parameters.has(n) ? [this.view(this.parameters.get(n)!)] : [])),
                  InvalidParameters: names.filter((n) => !this.parameters.has(n)),
                });
              }
              case 'AmazonSSM.PutParameter': {
                if (typeof input.Name !== 'string' || typeof input.Value !== 'string')
                  return reply(400, { __type: 'ValidationException', message: 'Name and Value are required' });
                try {
                  return reply(200, { Version: this.put(input.Name, input.Value, input.Type, input.Overwrite === true), Tier: 'Standard' });
                } catch (err) {
                  return reply(400, { __type: 'ParameterAlreadyExists', message: (err as Error).message });
                }
              }
              default:
                return reply(400, { __type: 'UnknownOperationException', message: `${target} is not emulated offline` });
            }
          } catch (err) {
            reply(500, { __type: 'InternalServerError', message: (err as Error).message });
          }
        });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
