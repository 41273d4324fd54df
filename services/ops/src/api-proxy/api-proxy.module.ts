import { Module } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ServiceDirectoryModule } from '../service-directory/service-directory.module';
import { ApiProxyMiddleware } from './api-proxy.middleware';

@Module({
  imports: [ServiceDirectoryModule],
  providers: [ApiProxyMiddleware],
})
export class ApiProxyModule {
  // Mounted on Express while Nest builds the module graph, which is before Nest adds its JSON and urlencoded body
  // parsers (at init). A middleware from configure() would run after them and find JSON bodies already consumed
  // (and capped at 100 kB); mounted first, every body streams through untouched, whatever its type or size.
  constructor(adapterHost: HttpAdapterHost, proxy: ApiProxyMiddleware) {
    adapterHost.httpAdapter?.use('/api', (req: IncomingMessage, res: ServerResponse, next: () => void) => proxy.use(req, res, next));
  }
}
