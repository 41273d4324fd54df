import { SetMetadata } from '@nestjs/common';

// Routes anyone may call (probes, scrapes, docs). Defined here because the health and metrics controllers need it
// and observability must not depend on auth; auth's @Public() sets the same key and its guard honours it.
export const PUBLIC_ROUTE = 'delivery:public-route';

export const PublicRoute = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);
