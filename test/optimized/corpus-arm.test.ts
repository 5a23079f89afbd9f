import { describeCorpusEquivalence } from './corpus-equivalence.js';

describeCorpusEquivalence('arm');
