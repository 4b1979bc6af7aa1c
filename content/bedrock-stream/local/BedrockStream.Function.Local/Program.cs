// Placeholder: replaced by the local host.
return 0;
