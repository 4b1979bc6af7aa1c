// Placeholder: replaced by the composition root.
return 0;
