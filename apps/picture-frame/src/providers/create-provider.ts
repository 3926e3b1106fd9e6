import { join } from 'node:path';
import { createCatalogueProvider } from './catalogue.js';
import { createFlickrProvider } from './flickr.js';
import { createFolderProvider } from './folder.js';
import { createOpenverseProvider } from './openverse.js';
import type { FetchLike, ImageProvider } from './provider.js';

export const PROVIDER_NAMES = ['catalogue', 'folder', 'flickr', 'openverse'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export interface ProviderConfig {
  readonly provider: ProviderName;
  readonly flickrApiKey?: string | undefined;
  readonly flickrApiUrl?: string | undefined;
  readonly flickrLicenses?: string | undefined;
  readonly openverseApiUrl?: string | undefined;
  readonly openverseToken?: string | undefined;
  readonly folder?: string | undefined;
}

/** Builds the configured provider; throws a plain Error with a clear message when misconfigured. */
export function createProvider(
  config: ProviderConfig,
  root: string,
  fetchFn: FetchLike = globalThis.fetch,
): ImageProvider {
  switch (config.provider) {
    case 'catalogue':
      return createCatalogueProvider(join(root, 'catalogue'));
    case 'folder':
      if (!config.folder)
        throw new Error('PICTURE_PROVIDER=folder needs PICTURE_FOLDER (a folder of images)');
      return createFolderProvider(config.folder);
    case 'flickr':
      if (!config.flickrApiKey) throw new Error('PICTURE_PROVIDER=flickr needs FLICKR_API_KEY');
      return createFlickrProvider({
        apiKey: config.flickrApiKey,
        fetch: fetchFn,
        baseUrl: config.flickrApiUrl,
        licenses: config.flickrLicenses,
      });
    case 'openverse':
      return createOpenverseProvider({
        fetch: fetchFn,
        baseUrl: config.openverseApiUrl,
        token: config.openverseToken,
      });
  }
}
